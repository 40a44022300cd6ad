"""The ingress benchmark's durability check: every distinct event id answered 2xx is a row.

A fast run can use up its presigned requests; wrk then resends the last one until it stops,
and each of those answers (200, duplicate) repeats the first answer's event id. The check
counts ids, not answers, so that a duplicate is not reported as a lost event, while a missing
id still is.
"""

import psycopg

from benchmarks.ingress_load import verify_committed


def _insert(url: str, webhook_ids: list[str]) -> list[int]:
    with psycopg.connect(url) as conn:
        return [
            conn.execute(
                "INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload)"
                " VALUES ('scraper', 'artist.watch', %s, '{}') RETURNING event_id",
                (webhook_id,),
            ).fetchone()[0]
            for webhook_id in webhook_ids
        ]


def test_a_duplicate_answer_counts_its_event_once(database_url):
    first, second = _insert(database_url, ["bench_0", "bench_1"])

    check = verify_committed(database_url, [first, second, second, second], "bench_")

    assert check == {"answered_2xx": 2, "matched_rows": 2, "rows_with_prefix": 2}


def test_an_answered_id_without_its_row_is_not_matched(database_url):
    (first,) = _insert(database_url, ["bench_0"])

    check = verify_committed(database_url, [first, first + 1000], "bench_")

    assert check["matched_rows"] == 1 and check["answered_2xx"] == 2
