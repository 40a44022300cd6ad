"""A strict, protocol-level stand-in for InfluxDB 2's write endpoint (``POST /api/v2/write``).

InfluxDB cannot run on this machine, so the mirror is tested against this instead, over real
HTTP. It is deliberately strict: it checks the ``Authorization: Token`` header, org, bucket
and precision, inflates gzip bodies, and parses every line of line protocol (measurement,
tags, typed fields, integer timestamp), rejecting the whole request on any malformed line as
a test would want. Faults can be queued: the next N writes answer 503, or 429 with
Retry-After. Accepted points are kept for assertions.
"""

import gzip
import re
import threading
from collections import Counter
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

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/api/v2/write", self.write, methods=["POST"])])
