"""Where custom reports are kept (a local directory or S3) and their signed download links.

No Dagster import: the ingress serves downloads from here and the custom-report jobs write here.
"""
