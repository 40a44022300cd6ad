"""Custom reports asked for by ``report.request`` webhooks: query, format, store, sign, mail.

Only ``resource`` imports Dagster, so the ingress can verify links and serve files from
``links`` and ``store`` while the job lives in ``promoteros_pipelines.assets.custom_reports``.
"""
