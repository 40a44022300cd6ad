"""One row per benchmark for ``latest.json``: its figures, baseline, ratio, target and pass.

Each benchmark writes its own detailed JSON (``results/<name>.json``); these functions pick
from it what a reader compares side by side. ``ratio`` always reads "times better than the
baseline" (above 1: better), except where ``ratio_means`` says otherwise, so that one column
of the table can be scanned. ``pass`` is None where the issue that asked for the benchmark
set no target.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Summary = dict[str, Any]
# an ingress run this long or longer is judged against the ingress targets (default 20 s)
FULL_RUN_S = 15
# the webhook-to-run percentiles are judged over at least this many events (default 20)
FULL_EVENTS = 20
# the analytics issue's target: at least 5x faster than plain pandas within 2 GB
ANALYTICS_SPEEDUP, ANALYTICS_PEAK_MB = 5.0, 2048


def _at_size(holds: bool, verdict: bool | None, full_size: bool) -> bool | None:
    """A speed target is judged only at the size it was set for (a quick run's figures are
    taken small and beside other benchmarks); what must hold at any size (every 2xx
    committed, every event done) fails at any size."""
    if not holds:
        return False
    return verdict if full_size else None


def _r(value: Any, digits: int = 2) -> Any:
    return round(value, digits) if isinstance(value, float) else value


def analytics_bench(d: dict) -> Summary:
    polars, pandas = d["polars"], d["pandas"]
    return {
        "figures": {
            "observations": d["observations"],
            "polars_seconds": _r(polars["seconds"]),
            "polars_peak_mb": _r(polars["peak_mb"], 0),
            "same_artists_flagged": d["same_artists_flagged"],
        },
        "baseline": {"pandas_seconds": _r(pandas["seconds"]), "pandas_peak_mb": pandas["peak_mb"]},
        "ratio": _r(d["speedup_vs_pandas"]),
        "ratio_means": "pandas seconds / polars seconds",
        "target": f">= {ANALYTICS_SPEEDUP:g}x pandas, <= {ANALYTICS_PEAK_MB:,} MB, the same"
        " artists flagged (10M observations)",
        "pass": _analytics_verdict(d),
    }


def _analytics_verdict(d: dict) -> bool | None:
    """Other artists flagged fail at any size; the speed-up and memory are judged only at the
    issue's 10M observations (a small set's figures mean little)."""
    fast_and_small = (
        d["speedup_vs_pandas"] >= ANALYTICS_SPEEDUP and d["polars"]["peak_mb"] <= ANALYTICS_PEAK_MB
    )
    return _at_size(d["same_artists_flagged"], fast_and_small, d["observations"] >= 10_000_000)


def detect_history(d: dict) -> Summary:
    return {
        "figures": {
            "artists": d["artists"],
            "days": d["days"],
            "rounds": d["rounds"],
            "detect_viral_seconds": _r(d["detect_viral_seconds"]),
        },
        "baseline": {
            "one_run_per_round_seconds": _r(d["one_run_per_round_seconds_extrapolated"], 1)
        },
        "ratio": _r(d["speedup"]),
        "ratio_means": "one run per round (extrapolated) / detect viral",
        "target": "detect viral <= 120 s",
        "pass": d["target_met"],
    }


def fault_recovery(d: dict) -> Summary:
    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    ratio = None
    ok = True
    if "database" in d:
        db = d["database"]
        figures["db_kill_to_first_202_p50_s"] = db["kill_to_first_202_seconds"]["p50"]
        figures["db_503_answer_p99_s"] = db["answer_503_seconds"]["p99"]
        baseline["issue_503_seconds"] = db["answer_503_seconds"]["issue_baseline"]
        ratio = _r(
            db["answer_503_seconds"]["issue_baseline"] / max(figures["db_503_answer_p99_s"], 1e-3),
            0,
        )
        ok = ok and figures["db_503_answer_p99_s"] < db["answer_503_seconds"]["issue_baseline"]
    if "daemon" in d:
        dm = d["daemon"]
        figures["daemon_kill_to_last_done_p50_s"] = dm["kill_to_last_done_seconds"]["p50"]
        figures["events_per_s_acked_while_daemon_down"] = dm[
            "events_per_second_acknowledged_while_down"
        ]["p50"]
        baseline["no_kill_mark_to_last_done_p50_s"] = dm["baseline_mark_to_last_done_seconds"][
            "p50"
        ]
        ok = ok and figures["events_per_s_acked_while_daemon_down"] > 0
    return {
        "figures": figures,
        "baseline": baseline,
        "ratio": ratio,
        "ratio_means": "issue's 10 s per 503 / measured p99 503 answer",
        "target": "503s answered faster than the issue's 10 s; events acknowledged while the "
        "daemon is down; every event done after recovery",
        "pass": ok,
    }


def ingest_observations(d: dict) -> Summary:
    res = d["results"]
    return {
        "figures": {
            "rows": res["project_upsert"]["rows"],
            "project_upsert_rows_per_s": round(res["project_upsert"]["rows_per_second"]),
            "executemany_rows_per_s": round(res["executemany"]["rows_per_second"]),
        },
        "baseline": {"plain_copy_rows_per_s": round(res["plain_copy"]["rows_per_second"])},
        "ratio": _r(res["project_upsert"]["ratio_to_plain_copy"]),
        "ratio_means": "project upsert rows/s / plain COPY rows/s (the physical limit)",
        "target": "project upsert >= 0.5x plain COPY",
        "pass": d["target_met"],
    }


def ingress_load(d: dict) -> Summary:
    return {
        "figures": {
            "workers": d["workers"],
            "generator": d["generator"],
            "accepted_per_second": d["accepted_per_second"],
            "p99_ms": _r(d["p99_ms"], 1),
            "every_2xx_committed": d["every_2xx_committed"],
            "load_average_before": _r(d["load_average_before"]),
        },
        "baseline": {"n8n_executions_per_second": d["n8n_executions_per_second"]},
        "ratio": d["ratio_vs_n8n"],
        "ratio_means": "accepted durable requests/s / n8n's best single-instance executions/s",
        "target": ">= 4,000 accepted/s, p99 <= 50 ms (a 20 s run), every 2xx committed",
        "pass": _at_size(d["every_2xx_committed"], d["meets_target"], d["seconds"] >= FULL_RUN_S),
    }


def ingress_load_2_workers(d: dict) -> Summary:
    """Do two ingress replicas add up? Judged on the budgeted comparison (1 replica vs 2,
    each held to the same CPU quota, benchmarks/ingress_scaling.py): without budgets the
    processes share the machine's cores with PostgreSQL and the load generator, so their
    ratio (still in the figures, beside the one-process rate of the same run) cannot show it.
    Where cgroups are not writable the comparison is skipped and the verdict is none."""
    single_path = Path(d["results_dir"]) / "ingress_load.json"
    single = json.loads(single_path.read_text()) if single_path.exists() else None
    one = single["accepted_per_second"] if single else None
    budgeted = d.get("budgeted_scaling") or {"skipped": "not asked for (no --cpu-budget)"}
    ran = not budgeted["skipped"]
    figures: dict[str, Any] = {
        "workers": d["workers"],
        "accepted_per_second": d["accepted_per_second"],
        "p99_ms": _r(d["p99_ms"], 1),
        "every_2xx_committed": d["every_2xx_committed"],
        "machine_cpu_busy_pct": d["machine_cpu_busy_pct"],
        "unbudgeted_ratio": _r(d["accepted_per_second"] / one) if one else None,
    }
    if ran:
        figures |= {
            "cpu_budget_cores": budgeted["cpu_budget_cores"],
            "budgeted_1_accepted_per_second": budgeted["one"]["accepted_per_second"],
            "budgeted_2_accepted_per_second": budgeted["many"]["accepted_per_second"],
            "budgeted_cores_used": budgeted["many"]["cores_used_per_replica"],
            "budgeted_load_average_before": budgeted["many"]["load_average_before"],
        }
    else:
        figures["budgeted_skipped"] = budgeted["skipped"]
    return {
        "figures": figures,
        "baseline": {
            "one_worker_accepted_per_second": one,
            "budgeted_one_replica_accepted_per_second": budgeted["one"]["accepted_per_second"]
            if ran
            else None,
        },
        "ratio": budgeted["ratio"] if ran else None,
        "ratio_means": "2 replicas' accepted/s / 1 replica's, each held to the same CPU budget"
        " (2.0: adds up fully; none when the budgeted comparison was skipped)",
        "target": ">= 1.8x with every 2xx committed (budgeted comparison)",
        "pass": _at_size(
            d["every_2xx_committed"],
            budgeted["adds_up"] if ran else None,
            d["seconds"] >= FULL_RUN_S,
        ),
    }


def load_history(d: dict) -> Summary:
    res = d["results"]
    return {
        "figures": {
            "rows": res["load_observations"]["rows"],
            "load_observations_rows_per_s": round(res["load_observations"]["rows_per_second"]),
        }
        | (
            {"load_again_rows_per_s": round(res["load_observations_again"]["rows_per_second"])}
            if "load_observations_again" in res
            else {}
        ),
        "baseline": {"plain_copy_rows_per_s": round(res["plain_copy"]["rows_per_second"])},
        "ratio": _r(res["load_observations"]["ratio_to_plain_copy"]),
        "ratio_means": "load observations rows/s / plain COPY into a bare table rows/s",
        "target": None,
        "pass": None,
    }


def report_render(d: dict) -> Summary:
    return {
        "figures": {
            "pdfs": d["pdfs"],
            "pages": d["pages"],
            "seconds": d["seconds"],
            "peak_rss_mb": d["peak_rss_mb"],
        },
        "baseline": {f"pool_of_{d['pool_workers']}_seconds": d["pool_seconds"]},
        "ratio": d["pool_time_ratio"],
        "ratio_means": "process pool seconds / one process seconds",
        "target": "<= 15 s, <= 500 MB (20 venues)",
        # the target is for the 20 venues: a smaller set is not judged against it
        "pass": _at_size(True, d["seconds"] <= 15 and d["peak_rss_mb"] <= 500, d["venues"] == 20),
    }


def webhook_to_run(d: dict) -> Summary:
    started = d["accepted_to_run_started_seconds"]
    base = d["baseline_bare_sensor_p50_seconds"]
    celery = d.get("by_launcher", {}).get("celery")
    warm = (
        {
            "warm_celery_worker_p50_s": celery["accepted_to_run_started_seconds"]["p50"],
            "warm_celery_worker_p95_s": celery["accepted_to_run_started_seconds"]["p95"],
            "celery_vs_process_p50": d.get("celery_vs_process_p50"),
        }
        if celery
        else {}
    )
    return {
        "figures": {
            "events": d["events"],
            "accepted_to_run_started_p50_s": started["p50"],
            "accepted_to_run_started_p95_s": started["p95"],
            **warm,
        },
        "baseline": {"bare_sensor_p50_s": base},
        "ratio": _r(base / max(started["p50"], 1e-3)),
        "ratio_means": "bare sensor p50 / measured p50",
        "target": f"p50 <= 5 s, p95 <= 10 s (over {FULL_EVENTS} events), every event's run done",
        "pass": _at_size(
            set(d["statuses"]) == {"done"}, d["meets_target"], d["events"] >= FULL_EVENTS
        ),
    }


def nightly_e2e(d: dict) -> Summary:
    return {
        "figures": {
            "artists": d["artists"],
            "windows_pulled": d["windows_pulled"],
            "steps_seconds": d["steps_seconds"],
            "total_seconds": d["total_seconds"],
        },
        "baseline": {"target_seconds": d["target_seconds"]},
        "ratio": _r(d["target_seconds"] / max(d["total_seconds"], 1e-3)),
        "ratio_means": "target seconds / measured seconds (above 1: inside the target)",
        "target": f"nightly end to end <= {d['target_seconds']} s on 2 cores",
        "pass": d["total_seconds"] <= d["target_seconds"],
    }


def data_validation(d: dict) -> Summary:
    targets = d["targets"]
    return {
        "figures": {
            "rows": d["rows"],
            "validate_seconds": d["validate_seconds"],
            "peak_rss_mb": d["peak_rss_mb"],
        },
        "baseline": {"count_scan_seconds": d["count_scan_seconds"]},
        "ratio": _r(d["count_scan_seconds"] / max(d["validate_seconds"], 1e-3), 3),
        "ratio_means": "count(*) scan seconds / validation seconds",
        "target": f"<= {targets['seconds']} s and <= {targets['peak_mb']} MB at 10M rows",
        "pass": d["validate_seconds"] <= targets["seconds"]
        and d["peak_rss_mb"] <= targets["peak_mb"],
    }


def archive_month(d: dict) -> Summary:
    return {
        "figures": {
            "rows": d["rows"],
            "archive_seconds": d["archive_seconds"],
            "archive_rows_per_second": d["archive_rows_per_second"],
            "parquet_mb": _r(d["parquet_bytes"] / 1e6, 1),
            "restore_rows_per_second": d["restore_rows_per_second"],
            "peak_rss_mb": d["peak_rss_mb"],
        },
        "baseline": {
            "copy_to_seconds": d["copy_to_seconds"],
            "copy_to_rows_per_second": d["copy_to_rows_per_second"],
        },
        "ratio": d["ratio_archive_to_copy"],
        "ratio_means": "plain COPY TO seconds / archive + verify + drop seconds",
        "target": "none set (the issue asks for rows/s against COPY TO)",
        # no target to pass; a month not dropped or not restored whole is a failure all the same
        "pass": None if d["partition_dropped"] and d["restored_rows"] == d["rows"] else False,
    }


def ticketing_burst(d: dict) -> Summary:
    res = d["results"]
    ingest, refresh = res["ingest_to_all_milestones"], res["sell_through_refresh"]
    return {
        "figures": {
            "shows": d["shows"],
            "observations": ingest["rows"],
            "ingest_to_all_milestones_seconds": _r(ingest["seconds"]),
            "milestones_filed": ingest["milestones_filed"],
            "sell_through_rows_per_s": round(refresh["rows_per_second"]),
        },
        "baseline": {"plain_copy_rows_per_s": round(res["plain_copy"]["rows_per_second"])},
        "ratio": _r(refresh["ratio_to_plain_copy"]),
        "ratio_means": "sell-through refresh rows/s / plain COPY of the same rows rows/s",
        "target": None,
        "pass": None,
    }


def booking_scoring(d: dict) -> Summary:
    targets, base = d["targets"], d["baseline"]
    return {
        "figures": {
            "pairs": d["pairs"],
            "pairs_scored": d["pairs_scored"],
            "pruned_share": d["pruned_share"],
            "seconds": d["seconds"],
            "peak_rss_mb": d["peak_rss_mb"],
        },
        "baseline": {
            "unpruned_all_pairs_seconds_estimate": base["unpruned_all_pairs_seconds_estimate"]
        },
        "ratio": d["ratio_to_unpruned"],
        "ratio_means": "estimated seconds to blend every pair unpruned / seconds with pruning",
        "target": f"<= {targets['seconds']} s and <= {targets['peak_mb']} MB at 5M pairs",
        "pass": d["seconds"] <= targets["seconds"] and d["peak_rss_mb"] <= targets["peak_mb"],
    }


SUMMARIES: dict[str, Callable[[dict], Summary]] = {
    f.__name__: f
    for f in (
        analytics_bench,
        detect_history,
        fault_recovery,
        ingest_observations,
        ingress_load,
        ingress_load_2_workers,
        load_history,
        report_render,
        webhook_to_run,
        nightly_e2e,
        data_validation,
        archive_month,
        ticketing_burst,
        booking_scoring,
    )
}
