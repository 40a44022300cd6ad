"""A real S3 API over HTTP on loopback (moto's server) for boto3 to talk to: no patched clients.

One server per test process; each test gets a bucket of its own, so tests stay independent
under ``pytest -n auto``.
"""

import logging
import uuid
from types import TracebackType
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from promoteros_pipelines.runtime.net import free_loopback_port

ACCESS_KEY = "AKIDPROMOTEROSTEST01"
SECRET_KEY = "promoteros-test-secret-never-shown-0123456789"
REGION = "eu-west-2"

logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log


class S3Server:
    def __init__(self) -> None:
        self.endpoint_url = ""
        self._server: ThreadedMotoServer | None = None

    def __enter__(self) -> "S3Server":
        port = free_loopback_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._server.start()
        self.endpoint_url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.stop()

    def client(self) -> Any:
        """A plain boto3 client, to look at the bucket behind the store's back."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}),
        )

    def new_bucket(self) -> str:
        name = f"reports-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        return name


def use_test_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """boto3's standard variables, as a deployment sets them, and nothing from ~/.aws."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
