"""``promoteros evaluate viral --observations FILE.csv --truth FILE.json``: detection over a
history this project did not generate, scored by the issue's definition.

The history runs through the same pipeline as the simulated world (``viral.run_detection``):
daily features, signals, the weekly model (trained on the history itself from week 3 on, with
labels from what happened next, put in use only when it beats the current detector on held-out
weeks) and ``viral_events`` replayed at every 30-minute run that follows an observation.
Artists are identified by name in both files and numbered in-process.

CSV columns: ``platform, external_id, artist_name, metric, value, observed_at`` (ISO 8601,
UTC when no offset). ``truth.json``: ``{"episodes": [{"artist_name", "start", "platforms"?,
"kind"?}], "decoys": [{"artist_name", "kind"?}]}``.
"""

import datetime as dt
import json
from pathlib import Path

import polars as pl

from promoteros_pipelines.domain.analytics.schema import OBSERVATION_SCHEMA, PLATFORMS
from promoteros_pipelines.domain.observation_csv import (
    COLUMNS,
    header_renames,
    missing_columns,
    parse_timestamps,
)
from promoteros_pipelines.evaluation.scoring import score_against_truth
from promoteros_pipelines.evaluation.viral import Progress, headline, run_detection

CSV_COLUMNS = COLUMNS
RUN_EVERY = dt.timedelta(minutes=30)
FIRST_TRAINING = dt.timedelta(days=21)
RETRAIN_EVERY = dt.timedelta(days=7)
WARM_UP = dt.timedelta(days=10)
"""Scoring starts after this: before it no artist has a 7-day baseline."""


class HistoryFileError(ValueError):
    """A history or truth file that cannot be evaluated; the message names the place."""


def _first_bad(frame: pl.DataFrame, bad: pl.Expr) -> int | None:
    rows = frame.with_row_index("_row").filter(bad)["_row"]
    return None if rows.is_empty() else int(rows[0])


def read_observations_csv(path: Path) -> pl.DataFrame:
    """The CSV as ``CSV_COLUMNS`` typed; a bad row raises ``HistoryFileError`` naming its line.

    Header spelling and timestamps are read as ``promoteros load observations`` reads them
    (``domain/observation_csv``); any metric name is kept (the detector counts the ones it
    cannot use), and a key given twice keeps its later line, as the load does.
    """
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.ComputeError, pl.exceptions.NoDataError) as error:
        raise HistoryFileError(f"{path}: cannot read it as CSV ({error}).") from error
    missing = missing_columns(raw.columns)
    if missing:
        raise HistoryFileError(
            f"{path}: missing column(s) {', '.join(missing)}; the header must name "
            f"{', '.join(CSV_COLUMNS)}."
        )
    raw = raw.rename(header_renames(raw.columns)).select(CSV_COLUMNS)
    typed = raw.with_columns(pl.col(name).str.strip_chars() for name in CSV_COLUMNS).with_columns(
        pl.col("platform").str.to_lowercase(),
        pl.col("metric").str.to_lowercase(),
        value=pl.col("value").cast(pl.Float64, strict=False),
        observed_at=parse_timestamps(raw["observed_at"].str.strip_chars()),
    )
    checks = [
        (pl.col("artist_name").fill_null("") == "", "artist_name is empty"),
        (
            ~pl.col("platform").is_in(PLATFORMS).fill_null(False),
            f"unknown platform (known: {', '.join(PLATFORMS)})",
        ),
        (pl.col("metric").fill_null("") == "", "metric is empty"),
        (pl.col("value").is_null() | ~pl.col("value").is_finite(), "value is not a number"),
        (pl.col("value") < 0, "value is negative"),
        (pl.col("observed_at").is_null(), "observed_at is not an ISO 8601 timestamp"),
    ]
    for bad, what in checks:
        row = _first_bad(typed, bad.fill_null(False))
        if row is not None:
            shown = raw.row(row, named=True)
            cells = ", ".join(f"{k}={shown[k]!r}" for k in CSV_COLUMNS)
            raise HistoryFileError(
                f"{path}, line {row + 2}: {what} ({cells}). Fix the row and run again."
            )
    if typed.is_empty():
        raise HistoryFileError(f"{path}: no observations after the header.")
    key = ["platform", "artist_name", "metric", "observed_at"]
    return typed.unique(subset=key, keep="last", maintain_order=True)


def _when(value: object, where: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as error:
        raise HistoryFileError(f"{where}: start {value!r} is not an ISO 8601 time.") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def read_truth(path: Path, artist_ids: dict[str, int]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(episodes: artist_id, start, kind, platforms; decoys: artist_id, kind) from truth.json."""
    try:
        truth = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise HistoryFileError(f"{path}: cannot read it as JSON ({error}).") from error
    if not isinstance(truth, dict) or not isinstance(truth.get("episodes", []), list):
        raise HistoryFileError(f'{path}: expected {{"episodes": [...], "decoys": [...]}}.')
    episodes, decoys = [], []
    for section, out in (("episodes", episodes), ("decoys", decoys)):
        for n, entry in enumerate(truth.get(section) or []):
            where = f"{path}, {section}[{n}]"
            name = entry.get("artist_name") if isinstance(entry, dict) else None
            if name not in artist_ids:
                raise HistoryFileError(
                    f"{where}: artist_name {name!r} has no observations in the history."
                )
            row = {"artist_id": artist_ids[name], "kind": entry.get("kind")}
            if section == "episodes":
                row["start"] = _when(entry.get("start"), where)
                row["platforms"] = list(entry.get("platforms") or [])
            out.append(row)
    episode_schema = {
        "artist_id": pl.Int64,
        "kind": pl.Utf8,
        "start": pl.Datetime("us", "UTC"),
        "platforms": pl.List(pl.Utf8),
    }
    decoy_schema = {"artist_id": pl.Int64, "kind": pl.Utf8}
    return pl.DataFrame(episodes, schema=episode_schema), pl.DataFrame(decoys, schema=decoy_schema)


def as_observations(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, int]]:
    """``OBSERVATION_SCHEMA`` rows, artists numbered by name (1..n in name order)."""
    names = frame["artist_name"].unique().sort()
    artist_ids = {name: i + 1 for i, name in enumerate(names)}
    obs = (
        frame.with_columns(
            artist_id=pl.col("artist_name").replace_strict(artist_ids, return_dtype=pl.Int64)
        )
        .select(OBSERVATION_SCHEMA.names())
        .cast(dict(OBSERVATION_SCHEMA))
        .sort("observed_at")
    )
    return obs, artist_ids


def run_times(obs: pl.DataFrame) -> list[dt.datetime]:
    """The 30-minute schedule's runs that follow at least one new observation."""
    after = (pl.col("observed_at") - dt.timedelta(microseconds=1)).dt.truncate("30m") + RUN_EVERY
    return obs.select(after).to_series().unique().sort().to_list()


def evaluate_history(
    observations: pl.DataFrame,
    truth: tuple[pl.DataFrame, pl.DataFrame],
    *,
    seed: int = 0,
    progress: Progress = lambda _: None,
) -> dict:
    """Scores of the final detector and of the rules alone on a history and its truth.

    ``observations``: ``OBSERVATION_SCHEMA`` rows; ``truth``: (episodes, decoys) as from
    ``read_truth``. Returns ``precision``, ``recall``, ``f1``, ``median_delay_hours``,
    ``decoys_flagged`` and per-kind shares for the final detector, the same under
    ``rules_only``, and ``details``.
    """
    episodes, decoys = truth
    start = observations["observed_at"].min()
    end = observations["observed_at"].max()
    assert isinstance(start, dt.datetime) and isinstance(end, dt.datetime)
    trainings = []
    at = start + FIRST_TRAINING
    while at < end:
        trainings.append(at)
        at += RETRAIN_EVERY
    progress(f"{observations.height:,} observations; daily features")
    detection = run_detection(
        observations,
        start=start,
        end=end,
        run_times=run_times(observations),
        train_times=trainings,
        seed=seed,
        progress=progress,
    )
    period = (start + WARM_UP, end + RUN_EVERY)
    rules = score_against_truth(detection.rules_events, episodes, decoys, period=period)
    final = score_against_truth(detection.final_events, episodes, decoys, period=period)
    return {
        **headline(final, rules),
        "details": {
            "artists": observations["artist_id"].n_unique(),
            "observations": observations.height,
            "period": [period[0].isoformat(), period[1].isoformat()],
            "model": final,
            "rules_only": rules,
            "models": detection.models,
            "model_promoted": detection.model_used,
        },
    }


def evaluate_history_files(
    observations_csv: Path, truth_json: Path, *, seed: int = 0, progress: Progress = lambda _: None
) -> dict:
    """``evaluate_history`` on the two files (``HistoryFileError`` for a bad one)."""
    obs, artist_ids = as_observations(read_observations_csv(observations_csv))
    return evaluate_history(obs, read_truth(truth_json, artist_ids), seed=seed, progress=progress)
