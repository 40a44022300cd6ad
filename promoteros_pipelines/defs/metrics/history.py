"""Load a metric history file into ``metric_observations``: all of it or, on a bad row, none.

The file is checked completely before anything is written (``domain/observation_csv.py``).
Then, in one transaction: artists not tracked yet are tracked under their platform ids (the
same matching as watch requests), the rows go through ``COPY`` into a temporary table, and one
set-based insert files them under their artists. Keyed by (artist, platform, metric,
observed_at): loading the same file twice changes nothing; a value another source recorded
(the platform API, a scraper) is never overwritten.
"""

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import psycopg

from promoteros_pipelines.defs.discovery.store import ArtistToTrack, track_artists_in
from promoteros_pipelines.domain.discovery import normalize_name
from promoteros_pipelines.domain.observation_csv import (
    COLUMNS,
    FIRST_DATA_LINE,
    ObservationFileError,
    artist_identities,
    checked_rows,
    describe_problems,
    header_renames,
    missing_columns,
    observation_rows,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

Progress = Callable[[str], None]
COPY_CHUNK_ROWS = 1_000_000

STAGE = """
CREATE TEMP TABLE stage_history (
    artist_id bigint, platform text, external_id text, metric text,
    observed_at timestamptz, value float8
) ON COMMIT DROP
"""

# Same rule as the scraper: a later load of the same source corrects its own values only.
INSERT_KNOWN = """
INSERT INTO promoteros.metric_observations (artist_id, platform, metric, observed_at, value, source)
SELECT s.artist_id, s.platform, s.metric, s.observed_at, s.value, %(source)s
FROM stage_history AS s WHERE s.artist_id IS NOT NULL
ON CONFLICT (artist_id, platform, metric, observed_at) DO UPDATE
SET value = EXCLUDED.value, ingested_at = now()
WHERE metric_observations.source = EXCLUDED.source
  AND metric_observations.value <> EXCLUDED.value
"""

# An id another artist already holds under that name: kept, filed when the ids are sorted out.
INSERT_UNMATCHED = """
INSERT INTO promoteros.pending_observations (platform, external_id, metric, observed_at, value)
SELECT s.platform, s.external_id, s.metric, s.observed_at, s.value
FROM stage_history AS s WHERE s.artist_id IS NULL
ON CONFLICT (platform, external_id, metric, observed_at) DO UPDATE SET value = EXCLUDED.value
WHERE pending_observations.value <> EXCLUDED.value
"""


@dataclass
class LoadSummary:
    rows_read: int = 0
    observations: int = 0
    inserted_or_changed: int = 0
    artists_created: int = 0
    artists_matched: int = 0
    unmatched_rows: int = 0
    first_observed: dt.datetime | None = None
    last_observed: dt.datetime | None = None
    conflicts: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _scan(path: Path) -> pl.LazyFrame:
    """Every column as text with its file line number; a bad header fails here, on line 1."""
    if not path.is_file():
        raise ObservationFileError(f"{path}: no such file")
    try:
        header = pl.read_csv(path, n_rows=0, infer_schema=False).columns
    except (pl.exceptions.PolarsError, OSError) as error:
        raise ObservationFileError(f"{path}: not a readable CSV file ({error})") from error
    missing = missing_columns(header)
    if missing:
        raise ObservationFileError(
            f"{path}, line 1: missing column(s) {', '.join(missing)}; the header must name "
            f"{', '.join(COLUMNS)}"
        )
    return (
        pl.scan_csv(path, infer_schema=False)
        .rename(header_renames(header))
        .select(COLUMNS)
        .with_row_index("line", offset=FIRST_DATA_LINE)
    )


def read_history(path: Path, progress: Progress = lambda _: None) -> tuple[pl.LazyFrame, int]:
    """The checked rows of ``path`` (lazy, re-scanning the file) and how many there are;
    raises ``ObservationFileError`` naming the lines on any bad row."""
    checked = checked_rows(_scan(path))
    try:
        problems, counts = pl.collect_all(
            [
                checked.filter(pl.col("problem").is_not_null()).head(10),
                checked.select(
                    rows=pl.len(), bad=pl.col("problem").is_not_null().sum().cast(pl.Int64)
                ),
            ]
        )
    except pl.exceptions.PolarsError as error:
        raise ObservationFileError(f"{path}: not a well-formed CSV file ({error})") from error
    rows, bad = counts.row(0)
    if bad:
        raise ObservationFileError(describe_problems(problems, bad, str(path)))
    if rows == 0:
        raise ObservationFileError(f"{path}: the file has a header but no rows")
    progress(f"{rows:,} rows checked: all valid")
    return checked, rows


def _artists_to_track(identities: pl.DataFrame, known: pl.DataFrame) -> list[ArtistToTrack]:
    """Ids not tracked yet, grouped into artists by normalised name (one id per platform)."""
    unknown = identities.join(known, on=["platform", "external_id"], how="anti")
    by_name: dict[str, ArtistToTrack] = {}
    for platform, external_id, name in unknown.select(
        "platform", "external_id", "artist_name"
    ).iter_rows():
        normalized = normalize_name(name) or external_id
        artist = by_name.get(normalized)
        if artist is None:
            by_name[normalized] = ArtistToTrack(
                name, normalized, {platform: external_id}, "import", "Loaded from a history file"
            )
        elif platform not in artist.platform_ids:
            artist.platform_ids[platform] = external_id  # type: ignore[index]
    return list(by_name.values())


def _platform_ids(conn: psycopg.Connection) -> pl.DataFrame:
    rows = conn.execute(
        "SELECT artist_id, platform, external_id FROM promoteros.artist_platform_ids"
    ).fetchall()
    return pl.DataFrame(
        rows,
        schema={"artist_id": pl.Int64, "platform": pl.Utf8, "external_id": pl.Utf8},
        orient="row",
    )


def _copy(conn: psycopg.Connection, frame: pl.DataFrame, progress: Progress) -> None:
    """Text COPY in chunks of a million rows: polars writes the CSV, PostgreSQL parses it."""
    columns = "artist_id, platform, external_id, metric, observed_at, value"
    statement = f"COPY stage_history ({columns}) FROM STDIN (FORMAT csv)"
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for offset in range(0, frame.height, COPY_CHUNK_ROWS):
            chunk = frame.slice(offset, COPY_CHUNK_ROWS)
            copy.write(
                chunk.write_csv(include_header=False, datetime_format="%Y-%m-%dT%H:%M:%S%.f%z")
            )
            if frame.height > COPY_CHUNK_ROWS:
                progress(f"copied {min(offset + COPY_CHUNK_ROWS, frame.height):,} rows")


def load_history(
    warehouse: PostgresWarehouse,
    path: Path,
    source: str = "import",
    progress: Progress = lambda _: None,
) -> LoadSummary:
    """Check ``path``, then track its new artists and store its observations in one
    transaction. Raises ``ObservationFileError`` (and writes nothing) on any bad row."""
    started = time.monotonic()
    if not source.strip():
        raise ObservationFileError("--source must not be empty")
    checked, rows = read_history(path, progress)
    identities = artist_identities(checked).collect()
    observations = observation_rows(checked).collect()
    summary = LoadSummary(
        rows_read=rows,
        observations=observations.height,
        first_observed=observations["observed_at"].min(),  # type: ignore[arg-type]
        last_observed=observations["observed_at"].max(),  # type: ignore[arg-type]
    )
    progress(f"{observations.height:,} observations of {identities.height:,} platform ids")
    with psycopg.connect(warehouse.database_url) as conn:
        wanted = _artists_to_track(identities, _platform_ids(conn))
        if wanted:
            progress(f"tracking {len(wanted):,} artists not tracked yet")
        outcomes, _moved = track_artists_in(conn, wanted)
        summary.artists_created = sum(outcome.created for outcome in outcomes)
        summary.artists_matched = len(outcomes) - summary.artists_created
        summary.conflicts = [f"{o.name}: {c}" for o in outcomes for c in o.conflicts]
        mapped = observations.join(
            _platform_ids(conn), on=["platform", "external_id"], how="left"
        ).select("artist_id", "platform", "external_id", "metric", "observed_at", "value")
        summary.unmatched_rows = mapped["artist_id"].null_count()
        conn.execute(STAGE)
        _copy(conn, mapped, progress)
        progress("inserting into metric_observations")
        summary.inserted_or_changed = conn.execute(INSERT_KNOWN, {"source": source}).rowcount
        if summary.unmatched_rows:
            conn.execute(INSERT_UNMATCHED)
    summary.seconds = time.monotonic() - started
    return summary
