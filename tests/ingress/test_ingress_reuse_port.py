"""`promoteros ingress --reuse-port`: separate ingress processes share one port (replicas that
can each be restarted or given a CPU budget of their own; the scaling benchmark uses them)."""

import os
import subprocess
import sys
import time

import httpx
from click.testing import CliRunner

from benchmarks.ingress_scaling import listening
from promoteros_pipelines.cli.ingress import command
from promoteros_pipelines.runtime.net import free_loopback_port


def test_two_processes_listen_on_one_port_and_both_answer(database_url):
    port = free_loopback_port()
    env = os.environ | {"PROMOTEROS_DATABASE_URL": database_url}
    cmd = [sys.executable, "-m", "promoteros_pipelines.cli", "ingress", "--port", str(port)]
    replicas = []
    try:
        for _ in range(2):
            replica = subprocess.Popen([*cmd, "--reuse-port", "--log-level", "warning"], env=env)
            replicas.append(replica)
            deadline = time.monotonic() + 60
            while not listening(replica.pid, port):
                assert replica.poll() is None, "a replica exited: the port was not shared"
                assert time.monotonic() < deadline, "a replica did not listen within 60 s"
                time.sleep(0.2)
        # a new connection each: the kernel spreads them over both by their source port
        answers = [httpx.get(f"http://127.0.0.1:{port}/healthz").status_code for _ in range(8)]
        assert answers == [200] * 8
        assert all(replica.poll() is None for replica in replicas)
    finally:
        for replica in replicas:
            replica.terminate()
        for replica in replicas:
            replica.wait(timeout=30)


def test_reuse_port_with_several_workers_is_refused():
    result = CliRunner().invoke(command, ["--workers", "2", "--reuse-port"])

    assert result.exit_code == 2
    assert "--reuse-port is for separate processes" in result.output
