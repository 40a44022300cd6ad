"""Dagster resources: the warehouse, platform clients, mail and notification channels."""
