"""A small hand-built world for report tests and the render benchmark.

Times are placed relative to the reported week so the expected KPIs are known exactly.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import psycopg

WEEK = "2026-W47"  # Monday 2026-11-16
MONDAY = dt.date(2026, 11, 16)
TZ = "Europe/London"
HOSTILE_NAMES = ["<script>alert(1)</script>", "{{7*7}}", "Evil\r\nBcc: victim@example.com"]


@dataclass(frozen=True)
class Expected:
    new_artists: int
    new_artists_before: int
    viral_events: int
    viral_events_before: int
    calls: int
    kept_growing: int


def at(day_offset: float, hour: int = 12) -> dt.datetime:
    """A time ``day_offset`` days after the week's Monday (local), at ``hour``."""
    base = dt.datetime.combine(MONDAY, dt.time(hour), ZoneInfo(TZ))
    return base + dt.timedelta(days=day_offset)


def seed_world(url: str, *, venues: int = 2, slug: str = "northern-lights-live") -> Expected:
    with psycopg.connect(url) as conn:
        org_id = conn.execute(
            "INSERT INTO promoteros.organisations (slug, name, time_zone, currency)"
            " VALUES (%s, %s, %s, 'GBP') RETURNING organisation_id",
            (slug, "Northern Lights Live", TZ),
        ).fetchone()[0]
        venue_ids = [
            conn.execute(
                "INSERT INTO promoteros.venues (organisation_id, slug, name, city, country,"
                " latitude, longitude, capacity, genres, typical_ticket_price)"
                " VALUES (%s, %s, %s, 'Leeds', 'GB', 53.8, -1.5, %s, %s, 18.50)"
                " RETURNING venue_id",
                (
                    org_id,
                    f"venue-{index}",
                    f"Venue {index}",
                    300 + index * 100,
                    # venue 1 names only a parent genre: its artists are techno, house...
                    ["indie"] if index % 2 == 0 else ["electronic"],
                ),
            ).fetchone()[0]
            for index in range(venues)
        ]
        people = [
            ("Ada Exec", "ada@example.com", "exec", None),
            ("Otto Ops", "otto@example.com", "ops", None),
            *[
                (f"Manager {i}", f"manager{i}@example.com", "venue_manager", v)
                for i, v in enumerate(venue_ids)
            ],
        ]
        for name, email, role, venue_id in people:
            conn.execute(
                "INSERT INTO promoteros.recipients (organisation_id, name, email, role, venue_id)"
                " VALUES (%s, %s, %s, %s, %s)",
                (org_id, name, email, role, venue_id),
            )
        # this week: 3 hostile names + 2 more; previous week: 4; last month: 3 (for calls)
        names_this = [*HOSTILE_NAMES, "Quiet Harbour", "Neon Fjord"]
        artists: list[int] = []
        for index, name in enumerate(names_this):
            artists.append(_artist(conn, name, at(index % 7), ["indie"]))
        # previous week: genres as platforms spell them; all but the jazz act fit "electronic"
        last_week = [
            _artist(conn, f"Last Week {index}", at(-7 + index), genres)
            for index, genres in enumerate(
                [["techno"], ["Dark Techno"], ["house", "jazz"], ["jazz"]]
            )
        ]
        old = [_artist(conn, f"Old Call {i}", at(-40), ["indie"]) for i in range(3)]
        # viral events: 2 this week (hostile artists), 1 previous week, 3 confirmed calls before
        for artist_id, when in ((artists[0], at(1)), (artists[1], at(2))):
            _event(conn, artist_id, when, "new")
        _event(conn, artists[3], at(-3), "new")
        for artist_id in old:
            _event(conn, artist_id, at(-10), "confirmed")
        # momentum: two of the three old calls kept growing by the week's end
        for artist_id, after in zip(old, (1500.0, 1200.0, 900.0), strict=True):
            _momentum(conn, artist_id, at(-10).date(), 1000.0, 50.0)
            _momentum(conn, artist_id, at(5).date(), after, 70.0)
        for index, artist_id in enumerate(artists):
            _momentum(conn, artist_id, at(5).date(), 5000.0 + index, 60.0 + index)
        for index, artist_id in enumerate(last_week):
            _momentum(conn, artist_id, at(5).date(), 8000.0 + index, 90.0 - index)
    return Expected(5, 4, 2, 1, 3, 2)


def _artist(conn: psycopg.Connection, name: str, first_seen: dt.datetime, genres) -> int:
    return conn.execute(
        "INSERT INTO promoteros.artists (name, normalized_name, genres, first_seen_at)"
        " VALUES (%s, lower(%s), %s, %s) RETURNING artist_id",
        (name, name, genres, first_seen),
    ).fetchone()[0]


def _event(conn: psycopg.Connection, artist_id: int, when: dt.datetime, status: str) -> None:
    conn.execute(
        "INSERT INTO promoteros.viral_events (artist_id, window_start, detected_at,"
        " last_signal_at, status, confirmed_at, confirmed_by, signal_count, signal_types,"
        " platforms, evidence_keys, peak_strength, explanation)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, 2, %s, %s, %s, 3.5, %s)",
        (
            artist_id,
            when - dt.timedelta(hours=6),
            when,
            when,
            status,
            when if status == "confirmed" else None,
            "rules" if status == "confirmed" else None,
            ["follower_spike"],
            ["tiktok", "spotify"],
            ["k"],
            "followers +80% in 24 h",
        ),
    )


def _momentum(conn, artist_id: int, day: dt.date, followers: float, score: float) -> None:
    conn.execute(
        "INSERT INTO promoteros.artist_momentum (artist_id, day, lead_platform, followers,"
        " growth_7d, momentum_score, momentum_version, platforms_scored)"
        " VALUES (%s, %s, 'tiktok', %s, 0.12, %s, 'test', 2)",
        (artist_id, day, followers, score),
    )
