"""Booking scoring: tour dates (Bandsintown), audience by city (Chartmetric) and the booking
score of every (artist, venue) pair worth a look, refreshed every 2 hours."""

import datetime as dt
import time

import polars as pl
from dagster import (
    AssetExecutionContext,
    Config,
    DefaultScheduleStatus,
    FreshnessPolicy,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    ScheduleDefinition,
    asset,
    define_asset_job,
)
from pydantic import Field

from promoteros_pipelines.defs.booking import refresh, store
from promoteros_pipelines.defs.metadata import preview_table, table, table_facts
from promoteros_pipelines.domain import booking
from promoteros_pipelines.resources.platforms.resources import (
    BandsintownResource,
    ChartmetricResource,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

GROUP = "booking"
KINDS = {"postgres", "polars"}
OWNERS = ["team:data-platform"]
EVERY_2_HOURS = FreshnessPolicy.time_window(
    fail_window=dt.timedelta(hours=5), warn_window=dt.timedelta(hours=3)
)
PAST_DAYS = 365
AHEAD_DAYS = 365


class RefreshConfig(Config):
    """How many artists one refresh asks the API for (the longest unrefreshed first)."""

    max_artists_per_run: int | None = Field(
        default=None,
        ge=1,
        description="Artists asked per run, longest unrefreshed first; the rest wait for the "
        "next runs. Default: what the API's rate limit allows in 90 minutes (requests per "
        "second x 5,400 / requests per artist).",
    )


def _failures(context: AssetExecutionContext, result, platform: str) -> int:
    failures = list(getattr(result, "failures", []) or [])
    if failures:
        context.log.warning("%s: %d artists failed: %s", platform, len(failures), failures[:5])
    return len(failures)


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    deps=["tracked_artists"],
    metadata=table("tour_dates"),
    freshness_policy=EVERY_2_HOURS,
    retry_policy=RetryPolicy(max_retries=2, delay=30),
)
def tour_dates(
    context: AssetExecutionContext,
    config: RefreshConfig,
    warehouse: PostgresWarehouse,
    bandsintown: BandsintownResource,
) -> MaterializeResult:
    """Tracked artists' announced shows on Bandsintown, from a year ago to a year ahead:
    date, venue, city, country (as Bandsintown names it) and coordinates. Booking scores read
    them for routing (the artist already plays nearby) and for the gap market (not played
    here for months). Keyed by Bandsintown's event id: a moved show overwrites its old date.
    Each run asks for the artists refreshed longest ago first, as many as Bandsintown's rate
    limit allows in 90 minutes (run config ``max_artists_per_run``); the rest come next run."""
    started = time.monotonic()
    due = refresh.plan(
        warehouse,
        store.read_artists(warehouse),
        "bandsintown",
        bandsintown.requests_per_second,
        config.max_artists_per_run,
    )
    artists = due.asked
    today = due.started_at.date()
    window = f"{today - dt.timedelta(days=PAST_DAYS)},{today + dt.timedelta(days=AHEAD_DAYS)}"
    events, result = bandsintown.fetch_events(artists["name"].to_list(), date=window)
    rows = (
        events.join(artists.select("artist_id", artist_name="name"), on="artist_name", how="inner")
        .filter(pl.col("starts_at").is_not_null())
        .select(
            "event_id",
            "artist_id",
            event_date=pl.col("starts_at").dt.date(),
            venue_name=pl.col("venue_name").fill_null(""),
            city=pl.col("city").fill_null(""),
            country=pl.col("country").fill_null(""),
            latitude="latitude",
            longitude="longitude",
            fetched_at=pl.lit(dt.datetime.now(dt.UTC)),
        )
        .unique("event_id", keep="first")
    )
    written = store.store_tour_dates(warehouse, rows)
    # recorded once the rows are stored: an artist whose request or write failed comes first again
    due.record(warehouse, "name", result.failed_ids)
    return MaterializeResult(
        metadata={
            **table_facts(warehouse, "tour_dates"),
            **due.metadata,
            "events_received": rows.height,
            "rows_written": written,
            "artists_failed": _failures(context, result, "Bandsintown"),
            "duration_seconds": round(time.monotonic() - started, 1),
        }
    )


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    deps=["tracked_artists"],
    metadata=table("artist_city_audience"),
    freshness_policy=EVERY_2_HOURS,
    retry_policy=RetryPolicy(max_retries=2, delay=30),
)
def artist_city_audience(
    context: AssetExecutionContext,
    config: RefreshConfig,
    warehouse: PostgresWarehouse,
    chartmetric: ChartmetricResource,
) -> MaterializeResult:
    """Where each tracked artist's Spotify listeners live: listeners per city (with country and
    coordinates) as Chartmetric reports them from Spotify for Artists, one row per artist,
    city, platform and day. Booking scores read it for the audience in a venue's market.
    Keyed by (artist, city, country, platform, observed_at): the same day twice changes
    nothing. Each run asks for the artists refreshed longest ago first, as many as
    Chartmetric's rate limit allows in 90 minutes at two requests an artist (run config
    ``max_artists_per_run``); the rest come next run."""
    started = time.monotonic()
    due = refresh.plan(
        warehouse,
        store.read_spotify_ids(warehouse),
        "chartmetric",
        chartmetric.requests_per_second,
        config.max_artists_per_run,
    )
    ids = due.asked
    cities, result = chartmetric.fetch_city_listeners(ids["spotify_id"].to_list())
    rows = cities.join(ids, on="spotify_id").select(
        "artist_id",
        "city",
        "country",
        platform=pl.lit("spotify"),
        observed_at=pl.col("observed_at").str.to_datetime(time_zone="UTC"),
        listeners="listeners",
        latitude="latitude",
        longitude="longitude",
    )
    written = store.store_city_audience(warehouse, rows)
    due.record(warehouse, "spotify_id", result.failed_ids)
    return MaterializeResult(
        metadata={
            **table_facts(warehouse, "artist_city_audience"),
            **due.metadata,
            "cities_received": rows.height,
            "rows_written": written,
            "artists_failed": _failures(context, result, "Chartmetric"),
            "duration_seconds": round(time.monotonic() - started, 1),
        }
    )


class BookingScoresConfig(Config):
    """What a scoring run keeps: every pair is scored, only those worth a look are stored."""

    min_score_stored: float = Field(
        default=40.0,
        description="Scores below this are not written (they are counted in the metadata); "
        "opportunities start at 80.",
    )


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    deps=[tour_dates, artist_city_audience, "artist_momentum", "viral_events", "ticket_sales"],
    metadata=table("booking_scores"),
    freshness_policy=EVERY_2_HOURS,
)
def booking_scores(
    context: AssetExecutionContext, config: BookingScoresConfig, warehouse: PostgresWarehouse
) -> MaterializeResult:
    """How good a booking each artist would be for each of our venues, 0-100, with the reasons
    in plain English: audience in the venue's market, whether that audience would fill the
    room (not too few, not far too many), genre fit, momentum and its trend, a market the
    artist has not played for months, tour dates nearby when the venue has an open date, and
    recent viral events (blend ``booking-v1``, documented in ``domain/booking.py``). Pairs
    without audience in the market or any genre fit are skipped before scoring, and scores
    below 40 (run config ``min_score_stored``) are not stored. One row per (artist, venue,
    run time)."""
    started = time.monotonic()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    settings = booking.BookingSettings()
    inputs = store.scoring_inputs(warehouse, now, settings.lasting_days)
    total_pairs = inputs["artists"].height * inputs["venues"].height
    if inputs["audience"].is_empty() or inputs["venues"].is_empty():
        scores = pl.DataFrame()
    else:
        scores = booking.score_pairs(
            inputs["artists"],
            inputs["venues"],
            inputs["audience"],
            inputs["tour_dates"],
            inputs["booked"],
            now.date(),
            settings,
        )
        scores = scores.with_columns(scored_at=pl.lit(now))
    kept = scores.filter(pl.col("score") >= config.min_score_stored) if scores.height else scores
    written = store.store_scores(warehouse, kept)
    context.log.info("scored %d of %d (artist, venue) pairs", scores.height, total_pairs)
    top = store.latest_scores(warehouse)
    return MaterializeResult(
        metadata={
            **table_facts(warehouse, "booking_scores", exact=False),
            "model_version": booking.BOOKING_VERSION,
            "pairs_possible": total_pairs,
            "pairs_scored": scores.height,
            "pruned_share": round(1 - scores.height / total_pairs, 4) if total_pairs else 0.0,
            "pairs_below_min_score": scores.height - kept.height,
            "rows_written": written,
            "top_pairs": preview_table(top) if top.height else MetadataValue.text("none yet"),
            "duration_seconds": round(time.monotonic() - started, 1),
        }
    )


booking_scoring = define_asset_job(
    "booking_scoring",
    selection=[tour_dates, artist_city_audience, booking_scores],
    description="Refreshes tour dates and audience by city, then scores every pair worth it.",
)

booking_scoring_every_2_hours = ScheduleDefinition(
    name="booking_scoring_every_2_hours",
    job=booking_scoring,
    cron_schedule="15 */2 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every 2 hours at :15, tour dates and audience by city are refreshed and "
    "booking scores recomputed.",
)
