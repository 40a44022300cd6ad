"""Run the simulator with uvicorn on a loopback port, in the foreground or in a thread.

Tests and demos use ``SimulatorServer`` as a context manager: it binds the socket itself (port
0 picks a free one), so the base URL is known before the first request and nothing races.
uvicorn's own ``Date`` header is switched off because the app sets the simulated one.
"""

import socket
import threading
import time

import uvicorn
from starlette.applications import Starlette


def make_config(app: Starlette, host: str, port: int, log_level: str = "warning") -> uvicorn.Config:
    return uvicorn.Config(
        app, host=host, port=port, log_level=log_level, date_header=False, lifespan="off"
    )


class SimulatorServer:
    """``with SimulatorServer(app) as server: server.base_url`` -> ``http://127.0.0.1:PORT``."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        self._server = uvicorn.Server(make_config(app, self.host, self.port))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, platform: str) -> str:
        return f"{self.base_url}/{platform}"

    def __enter__(self) -> "SimulatorServer":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
