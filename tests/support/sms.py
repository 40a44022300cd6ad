"""A real HTTP stand-in for Twilio's Messages API on a loopback port.

Checks basic auth and the form fields, keeps what it receives, honours ``Idempotency-Key`` (a
repeat returns the first message), and ``fail_next(n)`` answers 503 to the next n requests.
"""

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class SmsState:
    sid: str
    token: str
    received: list[dict[str, str]] = field(default_factory=list)
    by_key: dict[str, str] = field(default_factory=dict)
    failures_left: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(state: SmsState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def _answer(self, status: int, body: dict) -> None:
            content = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length).decode()
            expected = base64.b64encode(f"{state.sid}:{state.token}".encode()).decode()
            if self.headers.get("authorization") != f"Basic {expected}":
                self._answer(401, {"code": 20003, "message": "Authenticate"})
                return
            if self.path != f"/2010-04-01/Accounts/{state.sid}/Messages.json":
                self._answer(404, {"message": "not found"})
                return
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            if not {"To", "From", "Body"} <= form.keys():
                self._answer(400, {"code": 21604, "message": "To, From and Body required"})
                return
            with state.lock:
                if state.failures_left > 0:
                    state.failures_left -= 1
                    self._answer(503, {"message": "try later"})
                    return
                key = self.headers.get("idempotency-key") or ""
                if key and key in state.by_key:
                    self._answer(201, {"sid": state.by_key[key], "status": "queued"})
                    return
                sid = f"SM{len(state.received) + 1:032d}"
                state.received.append(form)
                if key:
                    state.by_key[key] = sid
            self._answer(201, {"sid": sid, "status": "queued"})

    return Handler


class SmsStandIn:
    """``with SmsStandIn() as sms: sms.base_url, sms.received, sms.fail_next(2)``."""

    def __init__(self, sid: str = "AC" + "0" * 32, token: str = "test-token") -> None:
        self.state = SmsState(sid, token)
        # port 0: the kernel picks a free port and the server holds it from the start
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def received(self) -> list[dict[str, str]]:
        return self.state.received

    def fail_next(self, count: int) -> None:
        self.state.failures_left = count

    def __enter__(self) -> "SmsStandIn":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
