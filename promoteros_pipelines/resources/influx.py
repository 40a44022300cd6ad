"""InfluxDB mirror of ``metric_observations`` for time-series dashboards and downsampling.

Enabled when ``INFLUXDB_URL`` is set (with ``INFLUXDB_TOKEN``, ``INFLUXDB_ORG``,
``INFLUXDB_BUCKET``). Design (documented for dashboard authors):

* measurement ``artist_metrics``; tags ``artist_id`` and ``platform``; one field per canonical
  metric (``followers``, ``views``, ``likes``, ``comments``, ``shares``, ``posts``,
  ``popularity``, all floats); the point's time is ``observed_at`` in seconds.
* Writes are synchronous and gzip-compressed, about 5,000 lines a request. influxdb-client's
  batching writer can drop buffered points on close, so we never use it: each request is
  confirmed before the high-water mark moves past its rows.
* Downsampling (nightly maintenance): raw points older than the raw retention (default 30
  days) become hourly means in measurement ``artist_metrics_hourly`` (same tags and fields,
  the point's time is the hour's start), written by a Flux ``aggregateWindow`` + ``to()``
  query; only after that query succeeded are the raw points of the same range deleted.
"""

import datetime as dt
from collections.abc import Sequence

from dagster import ConfigurableResource
from pydantic import Field

MEASUREMENT = "artist_metrics"
HOURLY_MEASUREMENT = "artist_metrics_hourly"
ROLLUP_FLUX = """from(bucket: "{bucket}")
  |> range(start: {start}, stop: {stop})
  |> filter(fn: (r) => r._measurement == "{source}")
  |> aggregateWindow(every: 1h, fn: mean, createEmpty: false, timeSrc: "_start")
  |> set(key: "_measurement", value: "{target}")
  |> to(bucket: "{bucket}", org: "{org}")"""


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        from urllib3.exceptions import HTTPError  # imported here like the client (import cost)

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

    def _client(self):  # type: ignore[no-untyped-def]
        from influxdb_client import InfluxDBClient

        return InfluxDBClient(
            url=self.url, token=self.token, org=self.org, enable_gzip=True, timeout=self.timeout_ms
        )

    def downsample_hourly(self, start: dt.datetime, stop: dt.datetime) -> int:
        """Write hourly means of the raw points in [start, stop) (whole hours) to
        ``artist_metrics_hourly``, then delete those raw points; the hourly points written.
        A failed rollup deletes nothing."""
        if not self.url:
            raise InfluxWriteError("INFLUXDB_URL is not set; the mirror is disabled")
        from influxdb_client.rest import ApiException
        from urllib3.exceptions import HTTPError

        flux = ROLLUP_FLUX.format(
            bucket=self.bucket,
            org=self.org,
            start=_rfc3339(start),
            stop=_rfc3339(stop),
            source=MEASUREMENT,
            target=HOURLY_MEASUREMENT,
        )
        with self._client() as client:
            try:
                tables = client.query_api().query(flux, org=self.org)
                written = sum(len(table.records) for table in tables)
                client.delete_api().delete(
                    _rfc3339(start),
                    _rfc3339(stop - dt.timedelta(seconds=1)),  # InfluxDB includes the stop
                    f'_measurement="{MEASUREMENT}"',
                    bucket=self.bucket,
                    org=self.org,
                )
            except ApiException as error:
                raise InfluxWriteError(
                    f"InfluxDB at {self.url} answered {error.status} {error.reason} to the "
                    "hourly rollup; raw points are deleted only after a rollup succeeds"
                ) from error
            except (OSError, HTTPError) as error:
                raise InfluxWriteError(f"InfluxDB at {self.url} unreachable: {error}") from error
        return written
