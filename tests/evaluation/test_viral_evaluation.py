"""The evaluation command runs end to end on a small world and prints one JSON line."""

import json

from click.testing import CliRunner

from promoteros_pipelines.cli.evaluate import command
from promoteros_pipelines.evaluation.scoring import METRIC_KEYS


def test_evaluate_viral_json_has_the_keys_for_both_detectors():
    args = ["viral", "--seed", "3", "--artists", "120", "--days", "100", "--train-days", "60"]
    result = CliRunner().invoke(command, [*args, "--json"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    payload = json.loads(lines[0])
    assert set(METRIC_KEYS) <= set(payload)
    assert set(METRIC_KEYS) <= set(payload["rules_only"])
