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

from promoteros_pipelines.defs.discovery.store import (
    MOVE_PENDING,
    ArtistToTrack,
    TrackingOutcome,
    track_artists_in,
)
from promoteros_pipelines.domain.discovery import normalize_name
from promoteros_pipelines.domain.observation_csv import (
    COLUMNS,
    FIRST_DATA_LINE,
    PLATFORM,
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


# Artists whose ids and name are all unknown: created with their ids in two statements.
INSERT_NEW_ARTISTS = """
WITH wanted AS (
    SELECT * FROM unnest(%(names)s::text[], %(normalized)s::text[]) AS w(name, normalized_name)
), created AS (
    INSERT INTO promoteros.artists (name, normalized_name, source, discovery_reason)
    SELECT name, normalized_name, 'import', 'Loaded from a history file' FROM wanted
    RETURNING artist_id, normalized_name
)
INSERT INTO promoteros.artist_platform_ids (artist_id, platform, external_id)
SELECT c.artist_id, i.platform, i.external_id
FROM created AS c
JOIN unnest(%(id_names)s::text[], %(platforms)s::text[], %(external_ids)s::text[])
    AS i(normalized_name, platform, external_id) USING (normalized_name)
RETURNING artist_id
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


def _read(path: Path) -> pl.DataFrame:
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
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.PolarsError as error:
        raise ObservationFileError(f"{path}: not a well-formed CSV file ({error})") from error
    return (
        raw.rename(header_renames(header))
        .select(COLUMNS)
        .with_row_index("line", offset=FIRST_DATA_LINE)
    )


def read_history(path: Path, progress: Progress = lambda _: None) -> pl.DataFrame:
    """The typed rows of ``path`` (one pass over the file); raises ``ObservationFileError``
    naming the lines when any row is bad."""
    checked = checked_rows(_read(path))
    bad = checked.filter(pl.col("problem").is_not_null())
    if bad.height:
        raise ObservationFileError(describe_problems(bad, bad.height, str(path)))
    if checked.height == 0:
        raise ObservationFileError(f"{path}: the file has a header but no rows")
    progress(f"{checked.height:,} rows checked: all valid")
    return checked.drop("problem")


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
        schema={"artist_id": pl.Int64, "platform": PLATFORM, "external_id": pl.Utf8},
        orient="row",
    )


def _track(
    conn: psycopg.Connection, wanted: list[ArtistToTrack]
) -> tuple[list[TrackingOutcome], list[int]]:
    """Track ``wanted`` (their ids are unknown; the caller holds the tracking lock): artists
    whose name is new too are created in bulk (their ids returned: the caller files their
    pending observations after its own); the others are matched one by one, as a watch
    request would be (by name, ids added when free, conflicts reported)."""
    taken = {
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT normalized_name FROM promoteros.artists"
            " WHERE normalized_name = ANY(%s)",
            ([artist.normalized_name for artist in wanted],),
        )
    }
    fresh = [artist for artist in wanted if artist.normalized_name not in taken]
    ids = [(a.normalized_name, p, i) for a in fresh for p, i in sorted(a.platform_ids.items())]
    created = conn.execute(
        INSERT_NEW_ARTISTS,
        {
            "names": [artist.name for artist in fresh],
            "normalized": [artist.normalized_name for artist in fresh],
            "id_names": [name for name, _, _ in ids],
            "platforms": [platform for _, platform, _ in ids],
            "external_ids": [external_id for _, _, external_id in ids],
        },
    ).fetchall()
    new_ids = sorted({row[0] for row in created})
    outcomes = [TrackingOutcome(artist_id, "", True, "new") for artist_id in new_ids]
    matched, _ = track_artists_in(conn, [a for a in wanted if a.normalized_name in taken])
    return outcomes + matched, new_ids


def _copy(conn: psycopg.Connection, table: str, frame: pl.DataFrame, progress: Progress) -> None:
    """Text COPY in chunks of a million rows: polars writes the CSV, PostgreSQL parses it."""
    statement = f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)"
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

    def step(message: str) -> None:
        progress(f"{message} ({time.monotonic() - started:.1f} s)")

    if not source.strip():
        raise ObservationFileError("--source must not be empty")
    checked = read_history(path, step)
    identities = artist_identities(checked.lazy()).collect()
    observations = observation_rows(checked.lazy()).collect()
    summary = LoadSummary(
        rows_read=checked.height,
        observations=observations.height,
        first_observed=observations["observed_at"].min(),  # type: ignore[arg-type]
        last_observed=observations["observed_at"].max(),  # type: ignore[arg-type]
    )
    del checked  # the typed rows are all in the two frames above
    step(f"{observations.height:,} observations of {identities.height:,} platform ids")
    with psycopg.connect(warehouse.database_url) as conn:
        # the tracking lock first: the ids read next stay true until this load commits
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('promoteros.track_artists'))")
        wanted = _artists_to_track(identities, _platform_ids(conn))
        if wanted:
            step(f"tracking {len(wanted):,} artists not tracked yet")
        outcomes, new_ids = _track(conn, wanted)
        summary.artists_created = sum(outcome.created for outcome in outcomes)
        summary.artists_matched = len(outcomes) - summary.artists_created
        summary.conflicts = [f"{o.name}: {c}" for o in outcomes for c in o.conflicts]
        step(f"{summary.artists_created:,} artists tracked")
        # in key order: the insert then walks the primary key's B-tree instead of jumping
        mapped = (
            observations.join(_platform_ids(conn), on=["platform", "external_id"], how="left")
            .select("artist_id", "platform", "external_id", "metric", "observed_at", "value")
            .sort("artist_id", "platform", "metric", "observed_at", nulls_last=True)
        )
        del observations
        summary.unmatched_rows = mapped["artist_id"].null_count()
        # Artists created by this load are invisible to every other writer until it commits,
        # so their rows cannot conflict: they go straight into the table.
        fresh = mapped.filter(pl.col("artist_id").is_in(new_ids))
        rest = mapped.filter(~pl.col("artist_id").is_in(new_ids) | pl.col("artist_id").is_null())
        del mapped
        if fresh.height:
            step(f"copying {fresh.height:,} rows of new artists into metric_observations")
            _copy(
                conn,
                "promoteros.metric_observations",
                fresh.select(
                    "artist_id", "platform", "metric", "observed_at", "value", source=pl.lit(source)
                ),
                step,
            )
            step("rows of new artists stored")
        conn.execute(MOVE_PENDING, {"artist_ids": new_ids})
        summary.inserted_or_changed = fresh.height
        if rest.height:
            step(f"copying {rest.height:,} rows of tracked artists into a staging table")
            conn.execute(STAGE)
            _copy(conn, "stage_history", rest, step)
            step("inserting into metric_observations")
            summary.inserted_or_changed += conn.execute(INSERT_KNOWN, {"source": source}).rowcount
            if summary.unmatched_rows:
                conn.execute(INSERT_UNMATCHED)
        step("committing")
    summary.seconds = time.monotonic() - started
    return summary
