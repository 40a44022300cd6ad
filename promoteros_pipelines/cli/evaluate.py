"""``promoteros evaluate viral``: how well viral detection finds a simulated world's episodes."""

import json

import click

from promoteros_pipelines.cli.common import console
from promoteros_pipelines.evaluation.viral import EvaluationSettings, evaluate_viral


@click.group("evaluate")
def command() -> None:
    """Measure detectors against a simulated world whose truth is known."""


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


@command.command("viral")
@click.option("--seed", default=EvaluationSettings.seed, show_default=True, help="World seed.")
@click.option("--artists", default=EvaluationSettings.n_artists, show_default=True, help="Artists.")
@click.option("--days", default=EvaluationSettings.days, show_default=True, help="Days simulated.")
@click.option(
    "--train-days",
    default=EvaluationSettings.train_days,
    show_default=True,
    help="Days the model learns from; both detectors are scored after them.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON line on stdout.")
def viral(seed: int, artists: int, days: int, train_days: int, as_json: bool) -> None:
    """Precision, recall, F1 and median detection delay: rules alone vs rules + model.

    Runs the analytics pipeline on a generated world (observations every 6h), trains the model
    on the first TRAIN_DAYS (labels from sustained growth, not from the truth) and scores the
    events of the later days against the world's ground-truth episodes. Progress goes to
    stderr; with --json stdout holds exactly one line.
    """
    settings = EvaluationSettings(seed=seed, n_artists=artists, days=days, train_days=train_days)
    result = evaluate_viral(settings, progress=lambda message: console.log(message))
    if as_json:
        click.echo(json.dumps(result, default=str))
        return
    details = result["details"]
    click.echo(f"world seed {seed}, {artists} artists, scored {' to '.join(details['period'])}")
    click.echo(
        f"{'detector':<14}{'precision':>10}{'recall':>8}{'f1':>8}{'delay h':>9}{'events':>8}"
    )
    for name, row in (("rules + model", details["model"]), ("rules only", details["rules_only"])):
        click.echo(
            f"{name:<14}{_fmt(row['precision']):>10}{_fmt(row['recall']):>8}{_fmt(row['f1']):>8}"
            f"{_fmt(row['median_delay_hours'], 1):>9}{row['confirmed_events']:>8}"
        )
    click.echo(
        f"newsworthy episodes: {details['model']['episodes']} "
        f"(of {details['model']['episodes_all']}; the rest start below the audience floor)"
    )
