"""The warehouse keeps what it is given, exactly, and its idempotent writes are idempotent."""

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

N = 200_000


@pytest.fixture
def typed_table(warehouse):
    warehouse.execute(
        """
        CREATE TABLE promoteros.round_trip (
            id bigint PRIMARY KEY,
            small integer,
            ratio double precision,
            label text,
            flag boolean,
            day date,
            observed_at timestamptz,
            genres text[],
            price numeric(10, 2)
        )
        """
    )
    return "round_trip"


def _frame(n: int) -> pl.DataFrame:
    """All column types the project stores, with nulls, unicode and time zones."""
    base = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)  # spans a European DST change
    ids = pl.col("id")
    frame = pl.DataFrame({"id": pl.int_range(0, n, eager=True)}).select(
        ids,
        pl.when(ids % 7 == 0).then(None).otherwise(ids % 1000).cast(pl.Int32).alias("small"),
        pl.when(ids % 11 == 0).then(None).otherwise(ids / 3.0).alias("ratio"),
        pl.when(ids % 13 == 0)
        .then(None)
        .otherwise(pl.format("Künstler {} 🎸 «{}»", ids, ids % 17))
        .alias("label"),
        pl.when(ids % 5 == 0).then(None).otherwise(ids % 2 == 0).alias("flag"),
        pl.when(ids % 3 == 0)
        .then(None)
        .otherwise(pl.lit(dt.date(2026, 11, 21)) - pl.duration(days=ids % 400))
        .cast(pl.Date)
        .alias("day"),
        (pl.lit(base) + pl.duration(seconds=ids)).dt.convert_time_zone("UTC").alias("observed_at"),
    )
    cycle = (n + 3) // 4
    genres = pl.Series("genres", [["indie", "rock"], [], None, ["ünï", "a,b", 'q"t']] * cycle)
    prices = pl.Series(
        "price",
        [Decimal("12.50"), None, Decimal("0.01"), Decimal("99999999.99")] * cycle,
        dtype=pl.Decimal(10, 2),
    )
    return frame.with_columns(genres.head(n), prices.head(n))


def test_round_trip_of_200k_rows_is_exact(warehouse, typed_table):
    frame = _frame(N)
    assert warehouse.append(typed_table, frame) == N
    back = warehouse.read_frame("SELECT * FROM promoteros.round_trip ORDER BY id")
    back = back.with_columns(pl.col("price").cast(pl.Decimal(10, 2)))
    assert back.schema == frame.schema
    assert back.equals(frame)


def test_read_frame_binds_parameters(warehouse, typed_table):
    warehouse.append(typed_table, _frame(8))
    rows = warehouse.read_frame(
        "SELECT id FROM promoteros.round_trip WHERE id >= $1 AND label LIKE $2 ORDER BY id",
        [4, "%🎸%"],
    )
    assert rows["id"].to_list() == [4, 5, 6, 7]


def test_upsert_twice_is_the_same_as_once(warehouse, typed_table):
    frame = _frame(1_000)
    assert warehouse.upsert(typed_table, frame, key=["id"]) == 1_000
    assert warehouse.upsert(typed_table, frame, key=["id"]) == 0
    changed = frame.with_columns(
        pl.when(pl.col("id") < 10).then(pl.lit("changed")).otherwise(pl.col("label")).alias("label")
    )
    assert warehouse.upsert(typed_table, changed, key=["id"]) == 10
    stored = warehouse.read_table(typed_table).sort("id")
    assert stored.height == 1_000
    assert stored.filter(pl.col("label") == "changed").height == 10


def test_upsert_with_no_update_columns_keeps_existing_rows(warehouse, typed_table):
    frame = _frame(4)
    warehouse.upsert(typed_table, frame, key=["id"])
    other = frame.with_columns(pl.lit("new").alias("label"))
    assert warehouse.upsert(typed_table, other, key=["id"], update=[]) == 0
    assert "new" not in warehouse.read_table(typed_table)["label"].to_list()


def test_upsert_rejects_a_frame_without_its_key(warehouse, typed_table):
    with pytest.raises(ValueError, match="key columns"):
        warehouse.upsert(typed_table, _frame(2).drop("id"), key=["id"])


def test_replace_partition_swaps_only_that_partition(warehouse, typed_table):
    frame = _frame(100).with_columns(pl.lit(dt.date(2026, 11, 20)).alias("day"))
    other_day = _frame(200).tail(100).with_columns(pl.lit(dt.date(2026, 11, 21)).alias("day"))
    warehouse.append(typed_table, pl.concat([frame, other_day]))
    replacement = frame.head(3).with_columns(pl.lit("v2").alias("label"))

    warehouse.replace_partition(typed_table, replacement, "day", dt.date(2026, 11, 20))

    stored = warehouse.read_table(typed_table)
    assert stored.filter(pl.col("day") == dt.date(2026, 11, 20))["label"].to_list() == ["v2"] * 3
    assert stored.filter(pl.col("day") == dt.date(2026, 11, 21)).height == 100


def test_replace_partition_that_fails_midway_keeps_the_old_partition(warehouse, typed_table):
    frame = _frame(100).with_columns(pl.lit(dt.date(2026, 11, 20)).alias("day"))
    warehouse.append(typed_table, frame)
    duplicate_ids = pl.concat([frame.head(50), frame.head(1)])  # violates the primary key

    with pytest.raises(Exception, match=r"(?i)duplicate|unique"):
        warehouse.replace_partition(typed_table, duplicate_ids, "day", dt.date(2026, 11, 20))

    stored = warehouse.read_table(typed_table).sort("id")
    assert stored.height == 100
    assert stored.drop("price").equals(frame.drop("price"))


def test_replace_partition_by_time_range(warehouse, typed_table):
    frame = _frame(10)  # observed_at one second apart
    warehouse.append(typed_table, frame)
    start, end = frame["observed_at"][2], frame["observed_at"][5]
    warehouse.replace_partition(typed_table, frame.slice(2, 1), "observed_at", start, end)
    assert sorted(warehouse.read_table(typed_table)["id"].to_list()) == [0, 1, 2, 5, 6, 7, 8, 9]
