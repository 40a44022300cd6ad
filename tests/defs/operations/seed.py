"""A small, healthy warehouse for the operations tests: three artists on Spotify and YouTube,
ten days of observations every six hours, and a row per day in each analytics table."""

import datetime as dt

import psycopg

NOW = dt.datetime(2025, 6, 10, 12, tzinfo=dt.UTC)
ARTISTS = (1, 2, 3)
STEPS = 40  # every 6 hours for 10 days


def _observations() -> list[tuple]:
    rows = []
    for artist in ARTISTS:
        for k in range(STEPS, 0, -1):
            at = NOW - dt.timedelta(hours=6 * k)
            step = STEPS - k
            wobble = step * 7 % 5  # small, never enough to make a step negative
            rows += [
                (artist, "spotify", "followers", at, 10_000.0 * artist + 50 * step + wobble),
                (artist, "spotify", "popularity", at, 40.0 + artist),
                (artist, "youtube", "followers", at, 20_000.0 * artist + 80 * step + wobble),
                (artist, "youtube", "views", at, 100_000.0 * artist + 2_000 * step + wobble),
            ]
    return rows


def seed_world(database_url: str) -> None:
    days = [NOW.date() - dt.timedelta(days=d) for d in range(1, 11)]
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO promoteros.organisations"
            " (organisation_id, slug, name, time_zone, currency)"
            " OVERRIDING SYSTEM VALUE VALUES (1, 'acme', 'Acme Live', 'Europe/Berlin', 'EUR')"
        )
        conn.execute(
            "INSERT INTO promoteros.venues (venue_id, organisation_id, slug, name, city, country,"
            " latitude, longitude, capacity, typical_ticket_price) OVERRIDING SYSTEM VALUE"
            " VALUES (1, 1, 'hall', 'Hall', 'Berlin', 'DE', 52.5, 13.4, 1200, 35)"
        )
        for artist in ARTISTS:
            conn.execute(
                "INSERT INTO promoteros.artists (artist_id, name, normalized_name)"
                " OVERRIDING SYSTEM VALUE VALUES (%s, %s, %s)",
                (artist, f"Artist {artist}", f"artist {artist}"),
            )
            conn.execute(
                "INSERT INTO promoteros.artist_platform_ids (artist_id, platform, external_id)"
                " VALUES (%s, 'spotify', %s), (%s, 'youtube', %s)",
                (artist, f"sp-{artist}", artist, f"yt-{artist}"),
            )
            for day in days:
                for platform in ("spotify", "youtube"):
                    conn.execute(
                        "INSERT INTO promoteros.daily_artist_metrics"
                        " (artist_id, platform, day, followers, growth_1d, growth_z,"
                        " engagement_rate) VALUES (%s, %s, %s, 10000, 0.01, 0.5, 0.08)",
                        (artist, platform, day),
                    )
                conn.execute(
                    "INSERT INTO promoteros.artist_momentum (artist_id, day, followers,"
                    " momentum_score, momentum_version, platforms_scored, peer_count)"
                    " VALUES (%s, %s, 30000, 55, 'v1', 2, 12)",
                    (artist, day),
                )
            conn.execute(
                "INSERT INTO promoteros.viral_signals (artist_id, platform, signal_type,"
                " detected_at, window_start, window_end, strength, explanation)"
                " VALUES (%s, 'spotify', 'follower_spike', %s, %s, %s, 1.4, 'grew 70%% in 24h')",
                (artist, NOW, NOW - dt.timedelta(days=1), NOW),
            )
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO promoteros.metric_observations"
                " (artist_id, platform, metric, observed_at, value) VALUES (%s, %s, %s, %s, %s)",
                _observations(),
            )
        conn.execute(
            "INSERT INTO promoteros.artist_metrics_latest"
            " SELECT DISTINCT ON (artist_id, platform, metric) artist_id, platform, metric,"
            " observed_at, value FROM promoteros.metric_observations"
            " ORDER BY artist_id, platform, metric, observed_at DESC"
        )
