"""Serving the ingress with uvicorn: in the foreground (the CLI) or in a thread (tests).

uvloop and httptools are used when installed: they roughly halve the per-request overhead of
the event loop and the HTTP parser, which is most of the ingress's CPU time. The access log is
off (one line per webhook at thousands per second costs more than the request itself); the
ingress logs every rejection and exports counts on /metrics instead.
"""

import socket
import threading
import time
from importlib.util import find_spec
from typing import Any

import uvicorn

APP_FACTORY = "promoteros_pipelines.ingress.app:create_app"


def _options(log_level: str) -> dict[str, Any]:
    return {
        "log_level": log_level,
        "access_log": False,
        "loop": "uvloop" if find_spec("uvloop") else "asyncio",
        "http": "httptools" if find_spec("httptools") else "h11",
        "lifespan": "on",
        "proxy_headers": False,
        "backlog": 4096,
        "timeout_keep_alive": 30,
        "server_header": False,
    }


def uvicorn_config(app: Any, host: str, port: int, log_level: str = "info") -> uvicorn.Config:
    return uvicorn.Config(app, host=host, port=port, **_options(log_level))


def serve(
    app: Any,
    host: str,
    port: int,
    log_level: str = "info",
    workers: int = 1,
    reuse_port: bool = False,
) -> None:
    """Run until interrupted (Ctrl-C or SIGTERM), finishing in-flight commits first.

    With several workers each process builds its own app from the environment (replicas are
    stateless and share nothing but the database), so ``app`` is only used with one worker.
    With ``reuse_port`` (one worker) the port is bound with SO_REUSEPORT, so several separate
    ingress processes can listen on it: the kernel gives each its own accept queue and spreads
    new connections across them by address hash, as a balancer would.
    """
    if workers > 1:
        uvicorn.run(
            APP_FACTORY, host=host, port=port, factory=True, workers=workers, **_options(log_level)
        )
    elif reuse_port:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind((host, port))
        uvicorn.Server(uvicorn_config(app, host, port, log_level)).run(sockets=[listener])
    else:
        uvicorn.run(app, host=host, port=port, **_options(log_level))


class LoopbackServer:
    """``with LoopbackServer(app) as server: server.base_url``, on a free loopback port.

    Binds the socket itself so the URL is known before the thread starts; used by the tests
    for the ingress and for outbound receivers.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        self._server = uvicorn.Server(uvicorn_config(app, self.host, self.port, "warning"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> "LoopbackServer":
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the loopback server did not start; see its log above")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()
