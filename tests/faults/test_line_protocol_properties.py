"""Property-based checks of the InfluxDB line protocol we write (hypothesis): every line the
mirror sends parses under the strict stand-in's grammar and carries back exactly the values it
was made from. A value InfluxDB cannot hold (NaN, infinity) is left out rather than sent: one
unparseable line would make InfluxDB refuse the whole batch, every time, and the mirror would
never move past it."""

import datetime as dt
import math

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from promoteros_pipelines.domain.line_protocol import PLATFORMS, observation_lines
from tests.support.influx_standin import LINE

METRICS = ["followers", "views", "likes", "comments", "shares", "posts", "popularity"]

observations = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=2**62),
        st.sampled_from(sorted(PLATFORMS)),
        st.sampled_from(METRICS),
        st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2200, 1, 1)).map(
            lambda moment: moment.replace(tzinfo=dt.UTC, microsecond=0)
        ),
        st.floats(width=64),
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda row: row[:4],
)


@settings(max_examples=200, deadline=None)
@given(rows=observations)
def test_every_line_parses_and_carries_its_values_back(rows) -> None:
    frame = pl.DataFrame(
        rows,
        schema={
            "artist_id": pl.Int64,
            "platform": pl.String,
            "metric": pl.String,
            "observed_at": pl.Datetime("us", "UTC"),
            "value": pl.Float64,
        },
        orient="row",
    )
    sent: dict[tuple, float] = {}
    for line in observation_lines(frame, "artist_metrics").to_list():
        match = LINE.match(line)
        assert match, f"InfluxDB would refuse the batch: {line!r}"
        tags = dict(tag.split("=", 1) for tag in match["tags"].split(",")[1:])
        for field in match["fields"].split(","):
            name, value = field.split("=", 1)
            key = (int(tags["artist_id"]), tags["platform"], name, int(match["ts"]))
            assert key not in sent, f"{key} sent twice"
            sent[key] = float(value)

    expected = {
        (artist, platform, metric, int(moment.timestamp())): value
        for artist, platform, metric, moment, value in rows
        if math.isfinite(value)
    }
    assert sent == expected
