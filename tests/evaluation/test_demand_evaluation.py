"""``promoteros evaluate demand``: the contract's JSON line and an honest human report."""

import json

import polars as pl
from click.testing import CliRunner

from promoteros_pipelines.cli.evaluate import command
from promoteros_pipelines.domain import ticketing_demand as demand
from promoteros_pipelines.evaluation.demand import show_features
from promoteros_pipelines.simulator import generate_world


def test_json_is_one_line_with_the_contract_keys():
    result = CliRunner().invoke(command, ["demand", "--seed", "3", "--artists", "800", "--json"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    scores = json.loads(lines[0])
    assert set(scores) == {"mae", "baseline_venue_mae", "baseline_tier_mae", "brier", "shows"}
    assert scores["shows"] > 50 and 0 < scores["mae"] < 0.5 and 0 <= scores["brier"] <= 1


def test_the_human_report_states_the_target_and_the_first_week_update():
    result = CliRunner().invoke(command, ["demand", "--seed", "3", "--artists", "800"])
    assert result.exit_code == 0, result.output
    assert "target at most 0.7" in result.output
    assert "model + first-week sales" in result.output


def test_features_use_only_what_is_known_at_on_sale():
    world = generate_world(seed=5, n_artists=400)
    frame = show_features(world)
    assert frame.height == world.shows.height
    assert frame["on_sale_at"].is_sorted()  # the time split cuts in on-sale order
    assert not frame.select(demand.FEATURES).null_count().sum_horizontal().item()
    # audience is read at the Monday before on-sale, never after it
    assert (frame["as_of"] <= frame["on_sale_at"]).all()
    assert frame.select(pl.col(demand.EARLY_FEATURE).is_between(0, 1).all()).item()
