"""``promoteros evaluate viral``: how well viral detection finds the episodes of a simulated
world, or of a history you bring (``--observations FILE.csv --truth FILE.json``)."""

import json
from pathlib import Path

import click

from promoteros_pipelines.cli.common import console
from promoteros_pipelines.evaluation.history import HistoryFileError, evaluate_history_files
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
@click.option(
    "--observations",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A history to evaluate instead of a simulated world: CSV with columns platform, "
    "external_id, artist_name, metric, value, observed_at.",
)
@click.option(
    "--truth",
    type=click.Path(dir_okay=False, path_type=Path),
    help='Its ground truth: {"episodes": [{"artist_name", "start", "platforms"?, "kind"?}], '
    '"decoys": [{"artist_name", "kind"?}]}.',
)
@click.option("--json", "as_json", is_flag=True, help="One JSON line on stdout.")
def viral(
    seed: int,
    artists: int,
    days: int,
    train_days: int,
    observations: Path | None,
    truth: Path | None,
    as_json: bool,
) -> None:
    """Precision, recall, F1 and median detection delay: rules alone vs rules + model.

    Without files, runs the analytics pipeline on a generated world (observations every 6h),
    trains the model on the first TRAIN_DAYS (labels from what happened next, not from the
    truth) and scores the events of the later days against the world's episodes. With
    --observations and --truth, runs the same pipeline over that history (the weekly model
    trained on the history itself) and scores it: an episode is found when a confirmed event of
    the artist starts between 24h before and 48h after it; decoys_flagged is the share of decoy
    artists with a confirmed event. Progress goes to stderr; with --json stdout holds exactly
    one line.
    """
    if (observations is None) != (truth is None):
        raise click.UsageError("--observations and --truth go together: pass both or neither.")
    progress = lambda message: console.log(message)  # noqa: E731
    if observations is not None and truth is not None:
        try:
            result = evaluate_history_files(observations, truth, seed=seed, progress=progress)
        except HistoryFileError as error:
            raise click.ClickException(str(error)) from error
        source = f"history {observations.name}"
    else:
        settings = EvaluationSettings(
            seed=seed, n_artists=artists, days=days, train_days=train_days
        )
        result = evaluate_viral(settings, progress=progress)
        source = f"world seed {seed}, {artists} artists"
    if as_json:
        click.echo(json.dumps(result, default=str))
        return
    details = result["details"]
    click.echo(f"{source}, scored {' to '.join(details['period'])}")
    click.echo(
        f"{'detector':<14}{'precision':>10}{'recall':>8}{'f1':>8}{'delay h':>9}{'events':>8}"
    )
    final = "rules + model" if details.get("model_promoted") else "final (rules)"
    for name, row in ((final, details["model"]), ("rules only", details["rules_only"])):
        click.echo(
            f"{name:<14}{_fmt(row['precision']):>10}{_fmt(row['recall']):>8}{_fmt(row['f1']):>8}"
            f"{_fmt(row['median_delay_hours'], 1):>9}{row['confirmed_events']:>8}"
        )
        if row.get("decoys_flagged") is not None:
            kinds = ", ".join(f"{k} {v:.2f}" for k, v in row["decoys_flagged_by_kind"].items())
            click.echo(f"{'':<14}decoys flagged {_fmt(row['decoys_flagged'])} ({kinds})")
        if row.get("recall_by_kind"):
            kinds = ", ".join(f"{k} {v:.2f}" for k, v in row["recall_by_kind"].items())
            click.echo(f"{'':<14}recall by kind: {kinds}")
    if "episodes_all" in details["model"]:
        click.echo(
            f"newsworthy episodes: {details['model']['episodes']} "
            f"(of {details['model']['episodes_all']}; the rest start below the audience floor)"
        )


@command.command("demand")
@click.option("--seed", default=1, show_default=True, help="World seed.")
@click.option("--artists", default=2000, show_default=True, help="Artists in the world.")
@click.option("--json", "as_json", is_flag=True, help="One JSON line on stdout.")
def demand(seed: int, artists: int, as_json: bool) -> None:
    """MAE of final sell-through (model vs the venue-mean and artist-tier-mean baselines) and
    the Brier score of "sells out", on the later 30 % of a simulated world's shows after
    training on the first 70 % (by on-sale date). The model sees what is known at on-sale;
    it is also scored updated with the sales of the first 7 and 14 days. With --json stdout
    holds one line: mae (at on-sale), baseline_venue_mae, baseline_tier_mae, brier, shows,
    plus ratio_to_better_baseline and mae_after_7_days_on_sale, mae_after_14_days_on_sale.
    """
    from promoteros_pipelines.evaluation.demand import evaluate_demand

    result = evaluate_demand(seed, artists)
    if as_json:
        click.echo(json.dumps({k: v for k, v in result.items() if k != "details"}))
        return
    details = result["details"]
    click.echo(
        f"world seed {seed}, {artists} artists: trained on {details['train_shows']} shows, "
        f"scored {result['shows']}"
    )
    click.echo(f"{'':<34}{'MAE':>8}")
    click.echo(f"{'model at on-sale':<34}{result['mae']:>8.4f}   (R² {details['r2']:.3f})")
    for days, early in details["updates"].items():
        label = f"model + sales of the first {days} days"
        click.echo(f"{label:<34}{early['mae']:>8.4f}   (R² {early['r2']:.3f})")
    click.echo(f"{'baseline: venue mean':<34}{result['baseline_venue_mae']:>8.4f}")
    click.echo(f"{'baseline: artist tier':<34}{result['baseline_tier_mae']:>8.4f}")
    click.echo(
        f"ratio to the better baseline at on-sale: {result['ratio_to_better_baseline']:.3f} "
        "(target at most 0.7)"
    )
    click.echo(
        f"Brier (sells out): {result['brier']:.4f}; sold out in the scored shows: "
        f"{details['sold_out_share_test']:.2%}"
    )
    top = ", ".join(details["top_features"])
    click.echo(f"most important at on-sale: {top}")


@command.command("booking")
@click.option("--seed", default=1, show_default=True, help="World seed.")
@click.option("--artists", default=2000, show_default=True, help="Artists in the world.")
@click.option("--json", "as_json", is_flag=True, help="One JSON line on stdout.")
def booking(seed: int, artists: int, as_json: bool) -> None:
    """Booking scores against realised sell-through: every show a simulated world booked is
    scored as of the Monday before it went on sale (listeners by city, announced tour dates,
    momentum and viral episodes known then), then ranked against its final sell-through.
    Targets: Spearman at least 0.5, top-decile lift at least 1.3, and better than ranking by
    momentum alone. With --json stdout holds one line: spearman, top_decile_lift,
    momentum_only_spearman, pairs.
    """
    from promoteros_pipelines.evaluation.booking import evaluate_booking

    result = evaluate_booking(seed, artists, progress=lambda message: console.log(message))
    if as_json:
        keys = ("spearman", "top_decile_lift", "momentum_only_spearman", "pairs")
        click.echo(json.dumps({key: result[key] for key in keys}))
        return
    details = result["details"]
    click.echo(
        f"world seed {seed}, {artists} artists: {result['pairs']} booked shows scored "
        f"({details['model_version']}); mean sell-through {details['mean_sell_through']:.1%}"
    )
    click.echo(f"Spearman, score vs sell-through: {result['spearman']:.3f} (target at least 0.5)")
    click.echo(
        f"top-decile lift: {result['top_decile_lift']:.2f} (target at least 1.3): the top 10 % "
        "of scores sold that many times the average share of their rooms"
    )
    click.echo(f"Spearman, momentum alone: {result['momentum_only_spearman']:.3f}")
    parts = ", ".join(f"{k} {v:.2f}" for k, v in details["component_spearman"].items())
    click.echo(f"each component alone (Spearman): {parts}")
