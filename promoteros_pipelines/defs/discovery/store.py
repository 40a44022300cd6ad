"""Start tracking artists: the one write path shared by discovery and ``artist.watch``.

An artist is matched to an existing one by any of its platform ids first, then by normalised
name; only when neither matches is a new ``promoteros.artists`` row created. Platform ids are
added when free, never moved from one artist to another (a conflict is reported instead).
Scraper observations that were waiting in ``pending_observations`` for these ids move into
``metric_observations`` in the same transaction, so nothing a scraper sent is lost.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import psycopg

from promoteros_pipelines.resources.warehouse import PostgresWarehouse

MOVE_PENDING = """
WITH moved AS (
    DELETE FROM promoteros.pending_observations AS p
    USING promoteros.artist_platform_ids AS i
    WHERE i.platform = p.platform AND i.external_id = p.external_id
      AND i.artist_id = ANY(%(artist_ids)s)
    RETURNING i.artist_id, p.platform, p.metric, p.observed_at, p.value
)
INSERT INTO promoteros.metric_observations (artist_id, platform, metric, observed_at, value, source)
SELECT artist_id, platform, metric, observed_at, value, 'scraper' FROM moved
ON CONFLICT (artist_id, platform, metric, observed_at) DO NOTHING
"""


@dataclass(frozen=True)
class ArtistToTrack:
    name: str
    normalized_name: str
    platform_ids: Mapping[str, str]
    source: str
    reason: str
    genres: tuple[str, ...] = ()


@dataclass
class TrackingOutcome:
    artist_id: int
    name: str
    created: bool
    matched_by: str  # "platform_id", "name" or "new"
    platform_ids_added: int = 0
    conflicts: list[str] = field(default_factory=list)


def _match(conn: psycopg.Connection, artist: ArtistToTrack) -> tuple[int | None, str]:
    for platform, external_id in sorted(artist.platform_ids.items()):
        row = conn.execute(
            "SELECT artist_id FROM promoteros.artist_platform_ids"
            " WHERE platform = %s AND external_id = %s",
            (platform, external_id),
        ).fetchone()
        if row:
            return row[0], "platform_id"
    row = conn.execute(
        "SELECT artist_id FROM promoteros.artists WHERE normalized_name = %s"
        " ORDER BY artist_id LIMIT 1",
        (artist.normalized_name,),
    ).fetchone()
    return (row[0], "name") if row else (None, "new")


def _track_one(conn: psycopg.Connection, artist: ArtistToTrack) -> TrackingOutcome:
    artist_id, matched_by = _match(conn, artist)
    created = artist_id is None
    if artist_id is None:
        inserted = conn.execute(
            "INSERT INTO promoteros.artists (name, normalized_name, genres, source,"
            " discovery_reason) VALUES (%s, %s, %s, %s, %s) RETURNING artist_id",
            (
                artist.name,
                artist.normalized_name,
                list(artist.genres),
                artist.source,
                artist.reason,
            ),
        ).fetchone()
        assert inserted is not None
        artist_id = inserted[0]
    outcome = TrackingOutcome(artist_id, artist.name, created, matched_by)
    for platform, external_id in sorted(artist.platform_ids.items()):
        added = conn.execute(
            "INSERT INTO promoteros.artist_platform_ids (artist_id, platform, external_id)"
            " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (artist_id, platform, external_id),
        ).rowcount
        if added:
            outcome.platform_ids_added += 1
            continue
        owner = conn.execute(
            "SELECT artist_id, external_id FROM promoteros.artist_platform_ids"
            " WHERE (platform = %s AND external_id = %s) OR (platform = %s AND artist_id = %s)",
            (platform, external_id, platform, artist_id),
        ).fetchall()
        if any(row != (artist_id, external_id) for row in owner):
            outcome.conflicts.append(
                f"{platform} id {external_id!r} not added: another id or artist holds it"
            )
    return outcome


def track_artists(
    warehouse: PostgresWarehouse, artists: list[ArtistToTrack]
) -> tuple[list[TrackingOutcome], int]:
    """Track ``artists`` in one transaction; return outcomes and pending observations moved."""
    with warehouse.connect() as conn:
        return track_artists_in(conn, artists)


def track_artists_in(
    conn: psycopg.Connection, artists: list[ArtistToTrack]
) -> tuple[list[TrackingOutcome], int]:
    """``track_artists`` inside the caller's transaction (a bulk load that must be all or
    nothing); the lock is held until that transaction ends."""
    # Serialise trackers so two runs cannot create the same artist twice.
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('promoteros.track_artists'))")
    outcomes = [_track_one(conn, artist) for artist in artists]
    moved = conn.execute(MOVE_PENDING, {"artist_ids": [o.artist_id for o in outcomes]}).rowcount
    return outcomes, moved


def spotify_ids_without_genres(warehouse: PostgresWarehouse, artist_ids: list[int]) -> dict:
    """Spotify id -> artist id, for those of ``artist_ids`` that have no genres yet."""
    if not artist_ids:  # ADBC cannot type an empty list parameter
        return {}
    frame = warehouse.read_frame(
        "SELECT p.external_id, a.artist_id FROM promoteros.artists a"
        " JOIN promoteros.artist_platform_ids p USING (artist_id)"
        " WHERE a.artist_id = ANY($1::bigint[]) AND a.genres = '{}' AND p.platform = 'spotify'",
        [artist_ids],
    )
    return dict(frame.iter_rows()) if frame.height else {}


def fill_genres(warehouse: PostgresWarehouse, genres: Mapping[int, list[str]]) -> int:
    """Store genres on artists that have none (a person's edit is never overwritten);
    returns how many artists got genres."""
    with warehouse.connect() as conn, conn.cursor() as cursor:
        cursor.executemany(
            "UPDATE promoteros.artists SET genres = %s, updated_at = now()"
            " WHERE artist_id = %s AND genres = '{}'",
            [(names, artist_id) for artist_id, names in genres.items() if names],
        )
        return max(cursor.rowcount, 0)
