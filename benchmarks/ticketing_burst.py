"""ticketing.sales burst: N shows x K observations through the ingress and the ingest path,
time until every milestone is filed, the sell-through refresh's rows/s, and a plain COPY of
the same curve rows for comparison.

* ``ingress``: signed POSTs over loopback HTTP (one event per show carrying its K points);
* ``ingest``: the sensor's batches (``plan_tick``) each stored by ``store_batch`` (what an
  ``ingest_ticket_sales`` run does, without Dagster's run start-up), until all milestones;
* ``sell_through_refresh``: ``show_sell_through``'s read, compute and write;
* ``plain_copy``: one COPY of the same (show, observed_at, tickets_sold) rows, as one CSV
  buffer.
"""

import argparse
import base64
import datetime as dt
import json
import uuid

import httpx
import numpy as np
import psycopg
from standardwebhooks.webhooks import Webhook

from benchmarks.common import scratch_database, timed, write_result
from promoteros_pipelines.defs.inbox.store import read_inbox
from promoteros_pipelines.defs.ticketing.sell_through_store import read_inputs, write_sell_through
from promoteros_pipelines.defs.ticketing.sensors import plan_tick
from promoteros_pipelines.defs.ticketing.store import store_batch
from promoteros_pipelines.domain.ticketing import sell_through
from promoteros_pipelines.ingress.app import create_app
from promoteros_pipelines.ingress.config import IngressSettings
from promoteros_pipelines.ingress.server import LoopbackServer
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

SECRET = "whsec_" + base64.b64encode(b"benchmark-secret-32-bytes-long!!").decode()
T0 = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


def payloads(shows: int, points: int) -> list[dict]:
    rng = np.random.default_rng(7)
    out = []
    for n in range(shows):
        final = rng.uniform(0.3, 1.0)
        counts = np.floor(1000 * final * np.linspace(0.02, 1, points) ** 1.5).astype(int)
        out.append(
            {
                "show_id": f"bench-{n}",
                "venue_slug": "bench-hall",
                "show_date": "2026-12-20",
                "capacity": 1000,
                "sales": [
                    {
                        "observed_at": (T0 + dt.timedelta(hours=12 * k)).isoformat(),
                        "tickets_sold": int(c),
                    }
                    for k, c in enumerate(counts)
                ],
            }
        )
    return out


def _prepare(url: str) -> None:
    with psycopg.connect(url) as conn:
        org = conn.execute(
            "INSERT INTO promoteros.organisations (slug, name, time_zone, currency)"
            " VALUES ('bench', 'Bench', 'UTC', 'GBP') RETURNING organisation_id"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO promoteros.venues (organisation_id, slug, name, city, country, latitude,"
            " longitude, capacity, typical_ticket_price)"
            " VALUES (%s, 'bench-hall', 'Bench Hall', 'Leeds', 'GB', 53.8, -1.5, 1000, 20)",
            (org,),
        )


def run(shows: int, points: int) -> dict:
    events = payloads(shows, points)
    rows = shows * points
    results: dict[str, dict] = {}
    with scratch_database() as url:
        _prepare(url)
        warehouse = PostgresWarehouse(database_url=url)
        settings = IngressSettings(database_url=url).with_secrets({"ticketing": SECRET})
        hook = Webhook(SECRET)
        with (
            LoopbackServer(create_app(settings)) as server,
            httpx.Client(timeout=30) as client,
            timed() as t,
        ):
            for payload in events:
                body, webhook_id = json.dumps(payload), f"msg_{uuid.uuid4().hex}"
                now = dt.datetime.now(dt.UTC)
                client.post(
                    f"{server.base_url}/webhooks/ticketing/ticketing.sales",
                    content=body,
                    headers={
                        "webhook-id": webhook_id,
                        "webhook-timestamp": str(int(now.timestamp())),
                        "webhook-signature": hook.sign(webhook_id, now, body),
                        "content-type": "application/json",
                    },
                ).raise_for_status()
        results["ingress"] = {"rows": rows, "events": shows, "seconds": t["seconds"]}

        with timed() as t:
            after, runs = 0, 0
            while True:
                upto, pending = read_inbox(
                    warehouse,
                    ["ticketing.sales"],
                    after,
                    include_waiting=False,
                    with_payload=False,
                    limit=5000,
                )
                requests, after = plan_tick(pending, after, upto, len(pending) < 5000)
                if not requests:
                    break
                for request in requests:
                    store_batch(
                        warehouse, request.run_config["ops"]["ticket_sales"]["config"]["event_ids"]
                    )
                    runs += 1
        with psycopg.connect(url) as conn:
            filed = conn.execute("SELECT count(*) FROM promoteros.show_milestones").fetchone()[0]
        results["ingest_to_all_milestones"] = {
            "rows": rows,
            "runs": runs,
            "milestones_filed": filed,
            "seconds": t["seconds"],
        }

        now = T0 + dt.timedelta(hours=12 * points)
        with timed() as t:
            frame_shows, curve = read_inputs(warehouse, now)
            frame = sell_through(
                frame_shows.select(
                    "show_id", "organisation_id", "venue_id", "capacity", "show_date"
                ),
                curve,
                now,
            )
            write_sell_through(warehouse, frame, frame_shows, now, 0.6)
        results["sell_through_refresh"] = {
            "rows": curve.height,
            "shows": shows,
            "seconds": t["seconds"],
        }

        # the baseline: the same rows as one CSV buffer through one COPY (the fastest plain
        # path, not psycopg's row-by-row write_row)
        with psycopg.connect(url) as conn, conn.cursor() as cursor:
            buffer = bytearray()
            with cursor.copy(
                "COPY (SELECT show_id, observed_at, tickets_sold FROM promoteros.ticket_sales)"
                " TO STDOUT (FORMAT csv)"
            ) as dump:
                for chunk in dump:
                    buffer += chunk
            rows = int(conn.execute("SELECT count(*) FROM promoteros.ticket_sales").fetchone()[0])
            conn.execute(
                "CREATE TABLE promoteros.bench_copy"
                " (LIKE promoteros.ticket_sales INCLUDING DEFAULTS)"
            )
        with (
            timed() as t,
            psycopg.connect(url) as conn,
            conn.cursor() as cursor,
            cursor.copy(
                "COPY promoteros.bench_copy (show_id, observed_at, tickets_sold) FROM STDIN"
                " (FORMAT csv)"
            ) as copy,
        ):
            copy.write(bytes(buffer))
        results["plain_copy"] = {"rows": rows, "seconds": t["seconds"]}

    for entry in results.values():
        entry["rows_per_second"] = entry["rows"] / entry["seconds"]
    copy_rate = results["plain_copy"]["rows_per_second"]
    for entry in results.values():
        entry["ratio_to_plain_copy"] = entry["rows_per_second"] / copy_rate
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shows", type=int, default=2_000)
    parser.add_argument("--points", type=int, default=50)
    args = parser.parse_args(argv)
    results = run(args.shows, args.points)
    print(f"{'path':<26}{'rows':>10}{'seconds':>10}{'rows/s':>12}{'x plain COPY':>14}")
    for name, entry in results.items():
        print(
            f"{name:<26}{entry['rows']:>10,}{entry['seconds']:>10.2f}"
            f"{entry['rows_per_second']:>12,.0f}{entry['ratio_to_plain_copy']:>14.3f}"
        )
    milestones = results["ingest_to_all_milestones"]["milestones_filed"]
    print(f"milestones filed: {milestones:,}")
    path = write_result(
        "ticketing_burst", {"shows": args.shows, "points": args.points, "results": results}
    )
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
