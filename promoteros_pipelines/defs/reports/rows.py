"""Table rows as people read them: names not ids, rounded numbers, plain words.

Each ``*_COLUMNS`` list is what the ``table`` macro of ``templates/_macros.html.j2`` draws;
each ``*_rows`` function turns a frame from ``kpis`` into those rows.
"""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from promoteros_pipelines.domain import genres as taxonomy
from promoteros_pipelines.domain.wording import (
    compact,
    event_sentence,
    event_status,
    percent,
    platform_name,
    platform_names,
    strength_words,
)


def column(
    key: str, title: str, num: bool = False, width: str = "", nowrap: bool = False
) -> dict[str, Any]:
    return {"key": key, "title": title, "num": num, "width": width, "nowrap": nowrap}


EVENT_COLUMNS = [
    column("artist", "Artist", width="16%"),
    column("detected", "Detected", width="17%", nowrap=True),
    column("status", "Status", width="11%"),
    column("what", "What happened"),
    column("strength", "Strength", width="14%"),
]
ARTIST_COLUMNS = [
    column("name", "Artist", width="19%"),
    column("first_seen", "First seen", width="17%", nowrap=True),
    column("source", "Found by", width="13%"),
    column("genres", "Genres", width="17%"),
    column("reason", "Why tracked"),
]
MOMENTUM_COLUMNS = [
    column("artist", "Artist", width="24%"),
    column("score", "Momentum (0-100)", num=True),
    column("growth", "Follower growth, 7 days", num=True),
    column("followers", "Followers", num=True),
    column("lead_platform", "Lead platform"),
    column("genres", "Genres"),
]
VENUE_MOMENTUM_COLUMNS = [*MOMENTUM_COLUMNS[:-1], column("fit", "Fits the room as")]
OPPORTUNITY_COLUMNS = [
    column("artist", "Artist", width="19%"),
    column("score", "Score", num=True, width="7%"),
    column("window", "Window", width="17%"),
    column("attendance", "Expected (P50)", num=True, width="11%"),
    column("gross", "Expected gross", num=True, width="13%"),
    column("fee", "Guarantee", num=True, width="12%"),
    column("break_even", "Break-even", num=True, width="9%"),
    column("status", "Status", width="12%"),
]
RUN_COLUMNS = [
    column("job", "Job"),
    column("SUCCESS", "Succeeded", num=True),
    column("FAILURE", "Failed", num=True),
    column("CANCELED", "Cancelled", num=True),
]
SOURCE_NAMES = {
    "discovery": "discovery",
    "watch": "watch request",
    "simulator-seed": "demo roster",
}


def local_time(value: dt.datetime | None, time_zone: str) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(time_zone)).strftime("%a %d %b %H:%M")


def event_rows(
    frame: pl.DataFrame, time_zone: str, venue_genres: list[str] | None = None
) -> list[dict[str, Any]]:
    """Viral events; with ``venue_genres``, each says whether its artist fits the venue."""
    rows = []
    for row in frame.iter_rows(named=True):
        entry = {
            "artist": row["artist"],
            "detected": local_time(row["detected_at"], time_zone),
            "status": event_status(row),
            "platforms": platform_names(row["platforms"]),
            "what": event_sentence(row),
            "strength": strength_words(row["peak_strength"]),
            "fits": False,
        }
        if venue_genres is not None:
            match = taxonomy.best_match(row["artist_genres"] or [], venue_genres)
            entry["fits"] = match.score >= taxonomy.PARENT_FIT
        rows.append(entry)
    return rows


def momentum_rows(
    frame: pl.DataFrame, venue_genres: list[str] | None = None
) -> list[dict[str, Any]]:
    rows = []
    for row in frame.iter_rows(named=True):
        entry = {
            "artist": row["artist"],
            "score": f"{row['momentum_score']:.0f}",
            "growth": percent(row["growth_7d"]),
            "followers": compact(row["followers"]),
            "lead_platform": platform_name(row["lead_platform"]),
            "genres": row["genres"] or "",
        }
        if venue_genres is not None:
            entry["fit"] = taxonomy.best_match(row["artist_genres"] or [], venue_genres).describe
        rows.append(entry)
    return rows


def artist_rows(frame: pl.DataFrame, time_zone: str) -> list[dict[str, Any]]:
    return [
        {
            **row,
            "first_seen": local_time(row["first_seen_at"], time_zone),
            "source": SOURCE_NAMES.get(row["source"], row["source"] or ""),
        }
        for row in frame.iter_rows(named=True)
    ]
