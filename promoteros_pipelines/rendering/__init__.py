"""Report rendering: jinja2 templates (autoescaped) to PDF with WeasyPrint, charts with matplotlib.

A library with no Dagster import, shared by the weekly reports and the custom reports, and kept
outside ``defs/`` so that loading the code location does not load WeasyPrint or matplotlib:
they are imported on the first render.
"""
