"""``promoteros evaluate booking``: the contract's JSON line, an honest human report, and the
score on bookings from a generator that is not our simulator."""

import json

import pytest
from click.testing import CliRunner

from promoteros_pipelines.cli.evaluate import command
from promoteros_pipelines.domain import booking
from promoteros_pipelines.evaluation.booking import rank_metrics
from tests.support.outside_bookings import AS_OF, outside_bookings


def test_json_is_one_line_with_the_contract_keys():
    result = CliRunner().invoke(command, ["booking", "--seed", "3", "--artists", "600", "--json"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()  # progress goes to stderr
    assert len(lines) == 1
    scores = json.loads(lines[0])
    assert set(scores) == {"spearman", "top_decile_lift", "momentum_only_spearman", "pairs"}
    assert scores["pairs"] > 100
    assert -1 <= scores["spearman"] <= 1 and -1 <= scores["momentum_only_spearman"] <= 1


def test_the_human_report_states_the_targets():
    result = CliRunner().invoke(command, ["booking", "--seed", "3", "--artists", "600"])
    assert result.exit_code == 0, result.output
    assert "target at least 0.5" in result.output
    assert "target at least 1.3" in result.output
    assert "momentum alone" in result.output


@pytest.mark.parametrize("seed", [1, 2])
def test_the_score_ranks_bookings_it_was_not_built_on(seed):
    data = outside_bookings(seed)
    pairs = data.pop("pairs")
    scored = booking.score_pairs(
        **data, as_of=AS_OF, pairs=pairs.select("show_id", "artist_id", "venue_id", "target_date")
    ).join(pairs.select("show_id", "final_sell_through"), on="show_id")
    metrics = rank_metrics(scored)
    assert metrics["pairs"] == pairs.height
    assert metrics["spearman"] >= 0.5
    assert metrics["top_decile_lift"] >= 1.3
    assert metrics["spearman"] > metrics["momentum_only_spearman"]
