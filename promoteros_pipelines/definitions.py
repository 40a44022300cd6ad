"""The one ``Definitions`` object of the ``promoteros_pipelines`` code location."""

from dagster import Definitions, EnvVar, load_assets_from_modules

from promoteros_pipelines.assets import reference, scraper_metrics
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.sensors import event_sensors
from promoteros_pipelines.settings import DATABASE_URL_ENV

ASSET_MODULES = [reference, scraper_metrics]
JOBS = [scraper_metrics.ingest_scraper_metrics]

defs = Definitions(
    assets=load_assets_from_modules(ASSET_MODULES),
    jobs=JOBS,
    sensors=event_sensors(JOBS),
    resources={"warehouse": PostgresWarehouse(database_url=EnvVar(DATABASE_URL_ENV))},
)
