"""The webhook ingress: a stateless ASGI service (no Dagster import) that verifies, validates
and durably stores events from n8n, scrapers, ticketing and the UI in ``webhook_events``.

Sensors read the stored payloads back with ``promoteros_pipelines.events``; this
package's ``__init__`` imports nothing so that doing so stays cheap.
"""
