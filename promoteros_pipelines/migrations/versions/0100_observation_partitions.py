"""``metric_observations`` range-partitioned by month of ``observed_at``.

One partition per calendar month (UTC), named ``metric_observations_pYYYY_MM``, plus
``metric_observations_default`` so that an insert for a month without a partition never fails
(the 03:00 maintenance moves such rows into their own month and creates the months ahead).
Old months can then be archived and dropped one partition at a time instead of by a huge
DELETE. The table keeps its name, columns, constraints, primary key
(artist_id, platform, metric, observed_at) and both indexes, so every reader and writer (COPY,
ON CONFLICT upserts) is unchanged.

The upgrade moves every existing row inside the migration's transaction and refuses to finish
when the count or the sum of values differs afterwards; the downgrade moves them back the same
way, into one plain table.

Revision ID: 0100_observation_partitions
Revises: 0094_booking_flow
"""

import datetime as dt

from alembic import op

revision = "0100_observation_partitions"
down_revision = "0094_booking_flow"
branch_labels = None
depends_on = None

PLATFORMS = "('spotify', 'youtube', 'tiktok', 'instagram', 'bandsintown')"
METRICS = "('followers', 'views', 'likes', 'comments', 'shares', 'posts', 'popularity')"
MONTHS_AHEAD = 3
COLUMNS = f"""
    artist_id bigint NOT NULL REFERENCES promoteros.artists ON DELETE CASCADE,
    platform text NOT NULL CHECK (platform IN {PLATFORMS}),
    metric text NOT NULL CHECK (metric IN {METRICS}),
    observed_at timestamptz NOT NULL,
    value double precision NOT NULL,
    source text NOT NULL DEFAULT 'api',
    ingested_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (artist_id, platform, metric, observed_at)
"""
COPY_BACK = (
    "INSERT INTO promoteros.metric_observations"
    " (artist_id, platform, metric, observed_at, value, source, ingested_at)"
    " SELECT artist_id, platform, metric, observed_at, value, source, ingested_at"
    " FROM promoteros.metric_observations_before"
)
# numeric sums: exact whatever order the rows are read in
TOTALS = (
    "SELECT count(*), coalesce(sum(value::numeric), 0), coalesce(sum(artist_id), 0),"
    " coalesce(sum(extract(epoch FROM observed_at)), 0) FROM {}"
)


def _set_aside() -> None:
    """Rename the current table (and its index names) out of the way."""
    op.execute("ALTER TABLE promoteros.metric_observations RENAME TO metric_observations_before")
    for old, new in (
        ("metric_observations_pkey", "metric_observations_before_pkey"),
        ("metric_observations_observed_at_idx", "metric_observations_before_observed_at_idx"),
        ("metric_observations_ingested_at_idx", "metric_observations_before_ingested_at_idx"),
    ):
        op.execute(f"ALTER INDEX IF EXISTS promoteros.{old} RENAME TO {new}")


def _indexes() -> None:
    op.execute(
        "CREATE INDEX metric_observations_observed_at_idx"
        " ON promoteros.metric_observations (observed_at)"
    )
    op.execute(
        "CREATE INDEX metric_observations_ingested_at_idx"
        " ON promoteros.metric_observations (ingested_at)"
    )


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _move_checked() -> None:
    """Copy every row into the new table; fail the migration unless nothing was lost."""
    bind = op.get_bind()
    before = bind.exec_driver_sql(TOTALS.format("promoteros.metric_observations_before")).fetchone()
    op.execute(COPY_BACK)
    after = bind.exec_driver_sql(TOTALS.format("promoteros.metric_observations")).fetchone()
    if tuple(before or ()) != tuple(after or ()):
        raise RuntimeError(
            f"metric_observations: moved {after} (rows, sums of values, artist ids and times) but "
            f"the table held {before}; the migration is rolled back and nothing changed."
        )
    op.execute("DROP TABLE promoteros.metric_observations_before")


def upgrade() -> None:
    _set_aside()
    op.execute(
        f"CREATE TABLE promoteros.metric_observations ({COLUMNS}) PARTITION BY RANGE (observed_at)"
    )
    _indexes()
    op.execute(
        "CREATE TABLE promoteros.metric_observations_default"
        " PARTITION OF promoteros.metric_observations DEFAULT"
    )
    bind = op.get_bind()
    span = bind.exec_driver_sql(
        "SELECT min(observed_at AT TIME ZONE 'UTC')::date,"
        " max(observed_at AT TIME ZONE 'UTC')::date"
        " FROM promoteros.metric_observations_before"
    ).fetchone()
    today = dt.datetime.now(dt.UTC).date()
    ahead = (today.replace(day=1) + dt.timedelta(days=31 * MONTHS_AHEAD + 1)).replace(day=1)
    wanted = set(_months(today, ahead))
    if span and span[0] is not None:
        wanted |= set(_months(span[0], span[1]))
    for month in sorted(wanted):
        after = (month + dt.timedelta(days=32)).replace(day=1)
        op.execute(
            f"CREATE TABLE promoteros.metric_observations_p{month:%Y_%m}"
            " PARTITION OF promoteros.metric_observations"
            f" FOR VALUES FROM ('{month.isoformat()} 00:00:00+00')"
            f" TO ('{after.isoformat()} 00:00:00+00')"
        )
    _move_checked()


def downgrade() -> None:
    _set_aside()
    op.execute(f"CREATE TABLE promoteros.metric_observations ({COLUMNS})")
    _indexes()
    _move_checked()
