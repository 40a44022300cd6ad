"""One evaluation of a code-location sensor, as the daemon would run it."""

from dataclasses import dataclass

from dagster import DagsterInstance, SensorDefinition, build_sensor_context

from promoteros_pipelines.definitions import defs
from promoteros_pipelines.resources.warehouse import PostgresWarehouse


def sensor_named(name: str) -> SensorDefinition:
    return defs.get_repository_def().get_sensor_def(name)


@dataclass
class Tick:
    run_requests: list
    skip_message: str | None
    cursor: str | None


def tick(
    name: str,
    instance: DagsterInstance,
    warehouse: PostgresWarehouse,
    cursor: str | None = None,
) -> Tick:
    """Evaluate sensor ``name`` once against ``warehouse`` from ``cursor``."""
    context = build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"warehouse": warehouse},
        definitions=defs,
        sensor_name=name,
    )
    data = sensor_named(name).evaluate_tick(context)
    return Tick(list(data.run_requests or []), data.skip_message, data.cursor)
