"""A strict, protocol-level stand-in for InfluxDB 2's write endpoint (``POST /api/v2/write``),
and for the two calls the nightly downsampling makes: a Flux query (``POST /api/v2/query``)
that rolls raw points up into hourly means with ``aggregateWindow`` and writes them back with
``to()``, answered as annotated CSV like InfluxDB does; and a delete (``POST /api/v2/delete``)
of the raw points by time range and measurement predicate. Any other Flux is refused (400), so
a query the real server would read differently fails here too.

InfluxDB cannot run on this machine, so the mirror is tested against this instead, over real
HTTP. It is deliberately strict: it checks the ``Authorization: Token`` header, org, bucket
and precision, inflates gzip bodies, and parses every line of line protocol (measurement,
tags, typed fields, integer timestamp), rejecting the whole request on any malformed line as
a test would want. Faults can be queued: the next N writes answer 503, or 429 with
Retry-After. Accepted points are kept for assertions.
"""

import datetime as dt
import gzip
import json
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

KEY = r"[A-Za-z_][A-Za-z0-9_]*"
NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
FIELD_VALUE = rf'(?:{NUMBER}|[+-]?\d+i|"(?:[^"\\]|\\.)*"|true|false)'
LINE = re.compile(
    rf"^(?P<measurement>{KEY})"
    rf"(?P<tags>(?:,{KEY}=[^,= ]+)*)"
    rf" (?P<fields>{KEY}={FIELD_VALUE}(?:,{KEY}={FIELD_VALUE})*)"
    r" (?P<ts>-?\d+)$"
)

ROLLUP = re.compile(
    r'^from\(bucket: "(?P<bucket>[^"]+)"\)\s*'
    r"\|> range\(start: (?P<start>\S+), stop: (?P<stop>\S+)\)\s*"
    r'\|> filter\(fn: \(r\) => r\._measurement == "(?P<source>[^"]+)"\)\s*'
    r'\|> aggregateWindow\(every: 1h, fn: mean, createEmpty: false, timeSrc: "_start"\)\s*'
    r'\|> set\(key: "_measurement", value: "(?P<target>[^"]+)"\)\s*'
    r'\|> to\(bucket: "(?P<to_bucket>[^"]+)", org: "(?P<to_org>[^"]+)"\)\s*$'
)
PREDICATE = re.compile(r'^_measurement="(?P<measurement>[A-Za-z_][A-Za-z0-9_]*)"$')


def _seconds(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _rfc3339(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: str) -> float:
    return float(value[:-1] if value.endswith("i") else value)


@dataclass
class InfluxStandIn:
    token: str = "test-token"
    org: str = "promoteros"
    bucket: str = "promoteros"
    points: list[tuple[str, tuple, dict, int]] = field(default_factory=list)
    requests: int = 0
    faults: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, count: int, status: int = 503, after: int = 0) -> None:
        """Answer ``status`` to ``count`` writes, once ``after`` more writes have succeeded."""
        self.faults.extend([0] * after + [status] * count)

    def field_counts(self) -> Counter:
        """How many times each (tags, field, timestamp) arrived: all 1 means exactly once."""
        counts: Counter = Counter()
        for _, tags, fields, ts in self.points:
            for name in fields:
                counts[(tags, name, ts)] += 1
        return counts

    async def write(self, request: Request) -> Response:
        with self._lock:
            self.requests += 1
            fault = self.faults.pop(0) if self.faults else None
        if request.headers.get("authorization") != f"Token {self.token}":
            return JSONResponse({"code": "unauthorized", "message": "unauthorized access"}, 401)
        params = request.query_params
        if params.get("org") != self.org or params.get("bucket") != self.bucket:
            return JSONResponse({"code": "not found", "message": "bucket not found"}, 404)
        if params.get("precision") != "s":
            return JSONResponse({"code": "invalid", "message": "expected precision=s"}, 400)
        if fault == 429:
            return JSONResponse({"code": "too many requests"}, 429, headers={"Retry-After": "1"})
        if fault:
            return JSONResponse({"code": "unavailable", "message": "injected"}, fault)
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        parsed = []
        for number, line in enumerate(body.decode("utf-8").splitlines(), start=1):
            match = LINE.match(line)
            if not match:
                return JSONResponse(
                    {"code": "invalid", "message": f"line {number}: cannot parse {line!r}"}, 400
                )
            tags = tuple(sorted(t.split("=", 1) for t in match["tags"].split(",")[1:]))
            fields = dict(f.split("=", 1) for f in match["fields"].split(","))
            parsed.append((match["measurement"], tuple(map(tuple, tags)), fields, int(match["ts"])))
        with self._lock:
            self.points.extend(parsed)
        return Response(status_code=204)

    def _authorised(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Token {self.token}":
            return JSONResponse({"code": "unauthorized", "message": "unauthorized access"}, 401)
        if request.query_params.get("org") != self.org:
            return JSONResponse({"code": "not found", "message": "organization not found"}, 404)
        return None

    def rollup(self, match: re.Match, start: int, stop: int) -> list[tuple]:
        """aggregateWindow(every: 1h, fn: mean, timeSrc: "_start") of the matching points,
        written back under the target measurement; the rows written."""
        sums: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0])
        with self._lock:
            for measurement, tags, fields, ts in self.points:
                if measurement == match["source"] and start <= ts < stop:
                    for name, value in fields.items():
                        cell = sums[(tags, name, ts - ts % 3600)]
                        cell[0] += _number(value)
                        cell[1] += 1
            written = [
                (match["target"], tags, {name: repr(total / count)}, hour)
                for (tags, name, hour), (total, count) in sorted(sums.items())
            ]
            self.points.extend(written)
        return written

    async def query(self, request: Request) -> Response:
        with self._lock:
            self.requests += 1
        refused = self._authorised(request)
        if refused:
            return refused
        body = json.loads(await request.body())
        match = ROLLUP.match(body.get("query", "").strip())
        if body.get("type", "flux") != "flux" or not match:
            return JSONResponse({"code": "invalid", "message": "unsupported Flux query"}, 400)
        if match["bucket"] != self.bucket or match["to_bucket"] != self.bucket:
            return JSONResponse({"code": "not found", "message": "bucket not found"}, 404)
        written = self.rollup(match, _seconds(match["start"]), _seconds(match["stop"]))
        tag_names = sorted({name for _, tags, _, _ in written for name, _ in tags})
        header = ["result", "table", "_start", "_stop", "_time", "_value", "_field",
                  "_measurement", *tag_names]  # fmt: skip
        times = ["dateTime:RFC3339"] * 3
        kinds = ["string", "long", *times, "double"] + ["string"] * (2 + len(tag_names))
        lines = [
            "#datatype," + ",".join(kinds),
            "#group,false,false,true,true,false,false,true,true" + ",true" * len(tag_names),
            "#default,_result" + "," * (len(header) - 1),
            "," + ",".join(header),
        ]
        series: dict[tuple, int] = {}
        for measurement, tags, fields, hour in written:
            ((name, value),) = fields.items()
            table = series.setdefault((tags, name), len(series))
            tag_values = dict(tags)
            lines.append(
                f",,{table},{match['start']},{match['stop']},{_rfc3339(hour)},{value},{name},"
                f"{measurement}," + ",".join(tag_values.get(t, "") for t in tag_names)
            )
        text = "\r\n".join(lines) + "\r\n\r\n" if written else ""
        return Response(text, media_type="text/csv; charset=utf-8")

    async def delete(self, request: Request) -> Response:
        with self._lock:
            self.requests += 1
        refused = self._authorised(request)
        if refused:
            return refused
        if request.query_params.get("bucket") != self.bucket:
            return JSONResponse({"code": "not found", "message": "bucket not found"}, 404)
        body = json.loads(await request.body())
        predicate = PREDICATE.match(body.get("predicate", ""))
        if not predicate or "start" not in body or "stop" not in body:
            return JSONResponse({"code": "invalid", "message": "bad delete request"}, 400)
        start, stop = _seconds(body["start"]), _seconds(body["stop"])
        with self._lock:  # InfluxDB's delete range includes both ends
            self.points = [
                p
                for p in self.points
                if not (p[0] == predicate["measurement"] and start <= p[3] <= stop)
            ]
        return Response(status_code=204)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/v2/write", self.write, methods=["POST"]),
                Route("/api/v2/query", self.query, methods=["POST"]),
                Route("/api/v2/delete", self.delete, methods=["POST"]),
            ]
        )
