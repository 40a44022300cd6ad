"""Discovery: trending artists we do not track yet, and the artists we start tracking."""

import datetime as dt
import json

import polars as pl
from dagster import (
    AssetExecutionContext,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from promoteros_pipelines.defs.discovery.store import (
    ArtistToTrack,
    fill_genres,
    spotify_ids_without_genres,
    track_artists,
)
from promoteros_pipelines.defs.metadata import markdown_table, table
from promoteros_pipelines.domain.discovery import ID_PLATFORMS, normalize_name, rank_new_candidates
from promoteros_pipelines.domain.genres import canonical_list
from promoteros_pipelines.resources.platforms.errors import PlatformError
from promoteros_pipelines.resources.platforms.resources import (
    SpotifyResource,
    TikTokResource,
    YouTubeResource,
)
from promoteros_pipelines.resources.platforms.trending import fetch_trending_candidates
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.celery_profile import DISCOVERY_STEP_TAGS
from promoteros_pipelines.settings import ConfigurationError

GROUP = "discovery"
KINDS = {"polars", "postgres"}
OWNERS = ["team:data-platform"]


class TrendingConfig(Config):
    top_n: int = Field(default=50, ge=1, le=1_000, description="New artists kept per run.")


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    metadata=table("trending_candidates"),
    op_tags=DISCOVERY_STEP_TAGS,  # the Celery profile's queue for Spotify callers
)
def trending_candidates(
    context: AssetExecutionContext,
    config: TrendingConfig,
    warehouse: PostgresWarehouse,
    spotify: SpotifyResource,
    youtube: YouTubeResource,
    tiktok: TikTokResource,
) -> MaterializeResult:
    """Artists trending on Spotify's viral/trending playlists, YouTube's music chart and TikTok
    that we do not track yet, best first, each with the reason it was picked. One row per
    (discovery time, normalised name) in `promoteros.trending_candidates`."""
    started = dt.datetime.now(dt.UTC)
    candidates, errors = fetch_trending_candidates(
        {
            "spotify": spotify.fetch_trending,
            "youtube": youtube.fetch_trending,
            "tiktok": tiktok.fetch_trending,
        }
    )
    for source, error in errors.items():
        context.log.warning(f"trending source {source} failed: {error}")
    if len(errors) == 3:
        raise Failure(
            "every trending source failed", metadata={k: str(v) for k, v in errors.items()}
        )

    ranked = rank_new_candidates(
        candidates,
        warehouse.read_table("artist_platform_ids", ["platform", "external_id"]),
        warehouse.read_table("artists", ["normalized_name"]),
        top_n=config.top_n,
    )
    rows = ranked.select(
        pl.lit(started).alias("discovered_at"),
        "normalized_name",
        "name",
        pl.struct([pl.col(f"{p}_id").alias(p) for p in ID_PLATFORMS])
        .struct.json_encode()
        .alias("platform_ids"),
        "sources",
        "score",
        "reason",
        pl.lit("new").alias("outcome"),
    )
    if not rows.is_empty():
        _store_candidates(warehouse, rows)
    per_source = candidates.group_by("source").len().sort("source")
    return MaterializeResult(
        metadata={
            "candidates_seen": MetadataValue.int(candidates.height),
            "new_artists": MetadataValue.int(ranked.height),
            "candidates_per_source": markdown_table(per_source, limit=20),
            "failed_sources": MetadataValue.json({k: str(v) for k, v in errors.items()}),
            "top_new_artists": markdown_table(ranked.select("name", "score", "reason")),
            "discovered_at": MetadataValue.text(started.isoformat()),
            "duration_seconds": MetadataValue.float(
                (dt.datetime.now(dt.UTC) - started).total_seconds()
            ),
        }
    )


def _store_candidates(warehouse: PostgresWarehouse, rows: pl.DataFrame) -> None:
    """platform_ids arrives as JSON text; cast it to jsonb in the insert."""
    with warehouse.connect() as conn, conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO promoteros.trending_candidates (discovered_at, normalized_name, name,"
            " platform_ids, sources, score, reason, outcome)"
            " VALUES (%s, %s, %s, %s::jsonb, %s, %s, %s, %s)"
            " ON CONFLICT (discovered_at, normalized_name) DO NOTHING",
            rows.rows(),
        )


class WatchRequest(Config):
    event_id: int | None = Field(default=None, description="webhook_events row it came from.")
    artist_name: str | None = Field(default=None, description="Display name, if known.")
    platform_ids: dict[str, str] = Field(
        default_factory=dict, description="Platform -> external id, e.g. {'spotify': '...'}."
    )
    genres: list[str] = Field(
        default_factory=list, description="Genres, if the requester knows them (any spelling)."
    )


class TrackedArtistsConfig(Config):
    watch_requests: list[WatchRequest] = Field(
        default_factory=list,
        description="Artists to start tracking now (from artist.watch webhooks). When empty, "
        "the newest trending candidates are tracked instead.",
    )


def _from_watch(request: WatchRequest) -> ArtistToTrack:
    unknown = set(request.platform_ids) - set(ID_PLATFORMS) - {"bandsintown"}
    if unknown:
        raise Failure(f"watch request {request.event_id}: unknown platform(s) {sorted(unknown)}")
    name = (request.artist_name or "").strip() or next(iter(request.platform_ids.values()), "")
    if not name:
        raise Failure(f"watch request {request.event_id} names neither an artist nor an id")
    return ArtistToTrack(
        name=name,
        normalized_name=normalize_name(name),
        platform_ids=request.platform_ids,
        source="watch",
        reason=f"Watch request (webhook event {request.event_id})"
        if request.event_id
        else "Watch request",
        genres=tuple(canonical_list(request.genres)),
    )


def _newest_candidates(warehouse: PostgresWarehouse) -> pl.DataFrame:
    return warehouse.read_frame(
        "SELECT discovered_at, normalized_name, name, platform_ids::text AS platform_ids, reason"
        " FROM promoteros.trending_candidates"
        " WHERE outcome = 'new' AND artist_id IS NULL AND discovered_at ="
        " (SELECT max(discovered_at) FROM promoteros.trending_candidates)"
        " ORDER BY score DESC, name"
    )


def _genres_from_spotify(
    context: AssetExecutionContext,
    warehouse: PostgresWarehouse,
    spotify: SpotifyResource,
    artist_ids: list[int],
) -> int:
    """Give artists without genres Spotify's, in the shared vocabulary; a Spotify failure
    only leaves them without genres until the next run (it never fails the tracking)."""
    wanted = spotify_ids_without_genres(warehouse, artist_ids)
    if not wanted:
        return 0
    try:
        found = spotify.fetch_genres(list(wanted))
    except (PlatformError, ConfigurationError) as error:  # down, or not set up here
        context.log.warning(f"genres not fetched from Spotify, retried next run: {error}")
        return 0
    return fill_genres(
        warehouse, {wanted[sid]: canonical_list(names) for sid, names in found.items()}
    )


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    deps=[trending_candidates, "webhook_events"],
    metadata=table("artists"),
    op_tags=DISCOVERY_STEP_TAGS,
)
def tracked_artists(
    context: AssetExecutionContext,
    config: TrackedArtistsConfig,
    warehouse: PostgresWarehouse,
    spotify: SpotifyResource,
) -> MaterializeResult:
    """Artists PromoterOS follows (`promoteros.artists` with their ids in
    `promoteros.artist_platform_ids`): the newest trending candidates, or the artists named in
    watch requests from n8n. An artist already tracked under any of its ids or its name is
    matched, not duplicated; scraper numbers that were waiting for it are filed under it.
    Genres come from the watch request or Spotify, in the vocabulary venues use."""
    if config.watch_requests:
        wanted = [_from_watch(request) for request in config.watch_requests]
        candidates = pl.DataFrame()
    else:
        candidates = _newest_candidates(warehouse)
        wanted = [
            ArtistToTrack(
                name=row["name"],
                normalized_name=row["normalized_name"],
                platform_ids={k: v for k, v in json.loads(row["platform_ids"]).items() if v},
                source="discovery",
                reason=row["reason"],
            )
            for row in candidates.iter_rows(named=True)
        ]
    outcomes, moved = track_artists(warehouse, wanted)
    with_genres = _genres_from_spotify(
        context, warehouse, spotify, sorted({o.artist_id for o in outcomes})
    )
    if not candidates.is_empty():
        with warehouse.connect() as conn, conn.cursor() as cursor:
            cursor.executemany(
                "UPDATE promoteros.trending_candidates SET artist_id = %s,"
                " outcome = CASE WHEN %s THEN 'new' ELSE 'already_tracked' END"
                " WHERE discovered_at = %s AND normalized_name = %s",
                [
                    (o.artist_id, o.created, row["discovered_at"], row["normalized_name"])
                    for o, row in zip(outcomes, candidates.iter_rows(named=True), strict=True)
                ],
            )
    for outcome in outcomes:
        for conflict in outcome.conflicts:
            context.log.warning(f"{outcome.name}: {conflict}")
    report = pl.DataFrame(
        {
            "artist_id": [o.artist_id for o in outcomes],
            "name": [o.name for o in outcomes],
            "created": [o.created for o in outcomes],
            "matched_by": [o.matched_by for o in outcomes],
        },
        schema={
            "artist_id": pl.Int64,
            "name": pl.String,
            "created": pl.Boolean,
            "matched_by": pl.String,
        },
    )
    return MaterializeResult(
        metadata={
            "mode": MetadataValue.text("watch requests" if config.watch_requests else "discovery"),
            "artists_created": MetadataValue.int(int(report["created"].sum() or 0)),
            "artists_matched": MetadataValue.int(int((~report["created"]).sum() or 0)),
            "pending_observations_filed": MetadataValue.int(moved),
            "genres_from_spotify": MetadataValue.int(with_genres),
            "conflicts": MetadataValue.int(sum(len(o.conflicts) for o in outcomes)),
            "artists": markdown_table(report, limit=20),
        }
    )
