"""The projection's demand estimate: the trained demand model on a hypothetical show of the
pair, else the venue's played shows, else a stated placeholder."""

import datetime as dt

import numpy as np
import polars as pl
from booking_support import World

from promoteros_pipelines.defs.booking.opportunity_inputs import demand_estimate
from promoteros_pipelines.domain import ticketing_demand as demand


def _fitted_model() -> demand.DemandModel:
    """A model fitted on 80 synthetic shows where sell-through rises with Spotify followers."""
    rng = np.random.default_rng(3)
    frame = pl.DataFrame({name: rng.normal(size=80) for name in demand.FEATURES}).with_columns(
        pl.Series("log_followers_spotify", rng.uniform(5, 15, size=80)),
        pl.Series("venue_id", [1] * 80),
    )
    return demand.fit(
        frame.with_columns(
            ((pl.col("log_followers_spotify") - 5) / 10).clip(0, 1).alias(demand.TARGET)
        ),
        demand.FEATURES,
    )


def test_the_demand_model_predicts_a_hypothetical_show_of_the_pair(world: World):
    with world.warehouse.connect() as conn:
        conn.execute(
            "INSERT INTO promoteros.metric_observations (artist_id, platform, metric,"
            " observed_at, value) VALUES (%s, 'spotify', 'followers', now() - interval '1 day',"
            " 1200000)",
            (world.nova,),
        )
    model = (_fitted_model(), "demand-test", 0.08)
    show_date = dt.date.today() + dt.timedelta(days=60)
    big = demand_estimate(world.warehouse, world.nova, world.barrowland, show_date, model)
    small = demand_estimate(world.warehouse, world.quiet, world.barrowland, show_date, model)
    assert big.share > small.share  # 1.2 M followers against none observed
    assert 0.0 <= small.share <= big.share <= 1.0
    assert big.mae == 0.08 and "demand model demand-test" in big.source


def test_without_a_model_the_venue_history_then_a_placeholder(world: World):
    placeholder = demand_estimate(
        world.warehouse, world.nova, world.barrowland, dt.date.today(), None
    )
    assert (placeholder.share, placeholder.mae) == (0.6, 0.2)
    assert "placeholder" in placeholder.source
    with world.warehouse.connect() as conn:
        for n, sold in enumerate((950, 1330, 1520)):  # 50 %, 70 %, 80 % of 1,900
            conn.execute(
                "INSERT INTO promoteros.shows (show_id, venue_id, capacity, show_date, status)"
                " VALUES (%s, %s, 1900, current_date - 30, 'played')",
                (f"played-{n}", world.barrowland),
            )
            conn.execute(
                "INSERT INTO promoteros.ticket_sales (show_id, observed_at, tickets_sold)"
                " VALUES (%s, now() - interval '29 days', %s)",
                (f"played-{n}", sold),
            )
    history = demand_estimate(world.warehouse, world.nova, world.barrowland, dt.date.today(), None)
    # mean 2/3; mean absolute deviation (1/6 + 1/30 + 2/15) / 3 = 1/9
    assert abs(history.share - 2 / 3) < 1e-9 and abs(history.mae - 1 / 9) < 1e-9
    assert "3 played shows" in history.source


def test_without_a_model_the_scores_own_audience_estimate_comes_before_the_venue_mean(
    world: World,
):
    components = {"expected_attendance": 950.0, "capacity": 1900}
    estimate = demand_estimate(
        world.warehouse, world.nova, world.barrowland, dt.date.today(), None, components
    )
    assert (estimate.share, estimate.mae) == (0.5, 0.2)
    assert "audience estimate of 950 tickets for 1,900 places" in estimate.source
    crowd = {"expected_attendance": 8000.0, "capacity": 400}
    today = dt.date.today()
    capped = demand_estimate(world.warehouse, world.nova, world.barrowland, today, None, crowd)
    assert capped.share == 1.0
