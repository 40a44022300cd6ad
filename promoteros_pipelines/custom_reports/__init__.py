"""Custom reports asked for by ``report.request`` webhooks: query, format, store, sign, mail.

Only ``resource`` imports Dagster, so the ingress can verify links and serve files from
``links``, ``store`` and ``store_config`` (and ``s3_store``, with boto3, only when an object
store is configured) while the job lives in ``promoteros_pipelines.assets.custom_reports``.
"""
