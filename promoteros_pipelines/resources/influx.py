"""InfluxDB mirror of ``metric_observations`` for time-series dashboards and downsampling.

Enabled when ``INFLUXDB_URL`` is set (with ``INFLUXDB_TOKEN``, ``INFLUXDB_ORG``,
``INFLUXDB_BUCKET``). Design (documented for dashboard authors):

* measurement ``artist_metrics``; tags ``artist_id`` and ``platform``; one field per canonical
  metric (``followers``, ``views``, ``likes``, ``comments``, ``shares``, ``posts``,
  ``popularity``, all floats); the point's time is ``observed_at`` in seconds.
* Writes are synchronous and gzip-compressed, about 5,000 lines a request. influxdb-client's
  batching writer can drop buffered points on close, so we never use it: each request is
  confirmed before the high-water mark moves past its rows.
"""

from collections.abc import Sequence

from dagster import ConfigurableResource
from pydantic import Field
from urllib3.exceptions import HTTPError

MEASUREMENT = "artist_metrics"


class InfluxWriteError(RuntimeError):
    """InfluxDB refused or did not answer a write; nothing past the last confirmed batch moved."""


class InfluxMirror(ConfigurableResource):
    """Where the InfluxDB mirror writes; ``url=None`` disables the mirror."""

    url: str | None = Field(default=None, description="InfluxDB URL (INFLUXDB_URL).")
    token: str | None = Field(default=None, description="API token (INFLUXDB_TOKEN).")
    org: str = Field(default="promoteros", description="Organisation (INFLUXDB_ORG).")
    bucket: str = Field(default="promoteros", description="Bucket (INFLUXDB_BUCKET).")
    batch_lines: int = Field(default=5_000, description="Lines per write request.")
    timeout_ms: int = Field(default=30_000, description="Per-request timeout.")

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def write_lines(self, lines: Sequence[str]) -> None:
        """Write line-protocol ``lines`` in one confirmed, gzip-compressed request."""
        if not self.url:
            raise InfluxWriteError("INFLUXDB_URL is not set; the mirror is disabled")
        from influxdb_client import InfluxDBClient, WritePrecision
        from influxdb_client.client.write_api import SYNCHRONOUS
        from influxdb_client.rest import ApiException

        with InfluxDBClient(
            url=self.url,
            token=self.token,
            org=self.org,
            enable_gzip=True,
            timeout=self.timeout_ms,
        ) as client:
            try:
                client.write_api(write_options=SYNCHRONOUS).write(
                    bucket=self.bucket,
                    org=self.org,
                    record="\n".join(lines),
                    write_precision=WritePrecision.S,
                )
            except ApiException as error:
                raise InfluxWriteError(
                    f"InfluxDB at {self.url} answered {error.status} {error.reason}; the mirror "
                    "resumes from its high-water mark on the next run"
                ) from error
            except (OSError, HTTPError) as error:
                raise InfluxWriteError(f"InfluxDB at {self.url} unreachable: {error}") from error
