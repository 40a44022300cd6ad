"""``S3ReportStore``: reports in a bucket of Amazon S3 or any S3-compatible store (MinIO, Ceph,
R2...), through boto3.

Same keys and contract as ``LocalReportStore``. Each object carries its sha256 twice: as
``x-amz-checksum-sha256``, which a store that supports it verifies on upload, and as the
metadata ``sha256``, so ``stat`` answers from one HEAD instead of downloading the file.
Credentials come from boto3's own chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
``AWS_PROFILE``, an instance role); this module never logs or echoes them. Every call has
bounded timeouts and retries, so an unreachable store fails the run with a clear message
instead of hanging it.
"""

import base64
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from promoteros_pipelines.report_store.store import (
    ReportStoreError,
    ReportStoreUnavailable,
    StoredObject,
    check_key,
    file_name,
    media_type_for,
)

DEFAULT_REGION = "us-east-1"  # what MinIO and most S3-compatible stores expect by default
_MISSING = {"404", "NoSuchKey", "NotFound"}
_DENIED = {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}


class S3ReportStore:
    """Report files as objects under ``s3://bucket/prefix/``.

    Args:
        bucket: An existing bucket; the store never creates one.
        prefix: Folder inside the bucket (no leading or trailing slash); "" for the whole
            bucket. Orphan cleanup deletes unreferenced objects under it, so give reports a
            prefix of their own.
        endpoint_url: An S3-compatible server (``http://minio:9000``); None for AWS.
        region: Signing region; None for boto3's (``AWS_DEFAULT_REGION``), else us-east-1.
        connect_timeout, read_timeout, max_attempts: per request, retries included.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 3,
    ) -> None:
        self.bucket = bucket
        self.prefix = check_key(prefix) if prefix else ""
        self.endpoint_url = endpoint_url
        session = boto3.session.Session(region_name=region)
        self.region = region or session.region_name or DEFAULT_REGION
        config = Config(
            region_name=self.region,
            signature_version="s3v4",
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            # path-style URLs work on every S3-compatible server; AWS picks its own
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            # we send our own SHA-256; botocore's default extra CRC32 trips some
            # S3-compatible servers
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._client = session.client("s3", endpoint_url=endpoint_url, config=config)

    def __str__(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"s3://{self.bucket}/{self.prefix}{where}"

    @property
    def url(self) -> str:
        """``s3://bucket/prefix``, as ``PROMOTEROS_REPORT_STORE_URL`` names this store."""
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def _object_key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _location(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._object_key(key)}"

    def put(self, key: str, content: bytes) -> StoredObject:
        digest = hashlib.sha256(content)
        with self._calls(f"storing {key}"):
            self._client.put_object(
                Bucket=self.bucket,
                Key=self._object_key(key),
                Body=content,
                ContentType=media_type_for(key),
                ContentDisposition=f'attachment; filename="{file_name(key)}"',
                ChecksumSHA256=base64.b64encode(digest.digest()).decode(),
                Metadata={"sha256": digest.hexdigest()},
            )
        return StoredObject(key, self._location(key), digest.hexdigest(), len(content))

    def stat(self, key: str) -> StoredObject | None:
        """The object's sha256 and size from one HEAD (a GET only for an object written by
        something else, without our metadata); None when it is not there."""
        head = self._head(key)
        if head is None:
            return None
        sha256 = head.get("Metadata", {}).get("sha256")
        if sha256 is None:
            content = self.read(key)
            if content is None:
                return None
            sha256 = hashlib.sha256(content).hexdigest()
        return StoredObject(key, self._location(key), sha256, head["ContentLength"])

    def read(self, key: str) -> bytes | None:
        with self._calls(f"reading {key}"):
            try:
                answer = self._client.get_object(Bucket=self.bucket, Key=self._object_key(key))
            except ClientError as error:
                if _code(error) in _MISSING:
                    return None
                raise
            return answer["Body"].read()

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def delete(self, key: str) -> bool:
        """Remove the object; False when it was already gone (S3's DELETE cannot tell)."""
        if self._head(key) is None:
            return False
        with self._calls(f"deleting {key}"):
            self._client.delete_object(Bucket=self.bucket, Key=self._object_key(key))
        return True

    def stale_objects(self, before: datetime) -> list[str]:
        """Prefix-relative names of every object under the prefix last modified before
        ``before`` (S3's LastModified)."""
        root = f"{self.prefix}/" if self.prefix else ""
        names: list[str] = []
        with self._calls("listing stale reports"):
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=root
            )
            for page in pages:
                names.extend(
                    entry["Key"][len(root) :]
                    for entry in page.get("Contents", [])
                    if entry["LastModified"] < before
                )
        return sorted(names)

    def remove_stale(self, name: str) -> None:
        """Delete one object named by ``stale_objects`` (always under the prefix)."""
        if not name:
            return
        root = f"{self.prefix}/" if self.prefix else ""
        with self._calls(f"deleting {name}"):
            self._client.delete_object(Bucket=self.bucket, Key=root + name)

    def presigned_get(self, key: str, expires_in: int) -> str | None:
        """A GET URL valid for ``expires_in`` seconds that saves the file as an attachment
        and forbids caching; None when the object is gone."""
        if self._head(key) is None:
            return None
        params = {
            "Bucket": self.bucket,
            "Key": self._object_key(key),
            "ResponseContentType": media_type_for(key),
            "ResponseContentDisposition": f'attachment; filename="{file_name(key)}"',
            "ResponseCacheControl": "private, no-store",
        }
        with self._calls(f"signing a download of {key}"):
            return self._client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=max(1, expires_in)
            )

    def _head(self, key: str) -> dict[str, Any] | None:
        with self._calls(f"looking up {key}"):
            try:
                return self._client.head_object(Bucket=self.bucket, Key=self._object_key(key))
            except ClientError as error:
                if _code(error) not in _MISSING:
                    raise
            # HEAD has no body to tell a missing object from a missing bucket: ask once
            try:
                self._client.head_bucket(Bucket=self.bucket)
            except ClientError as error:
                if _code(error) in _MISSING:
                    raise self._no_bucket() from error
                raise
        return None

    def _no_bucket(self) -> ReportStoreError:
        return ReportStoreError(
            f"bucket {self.bucket!r} does not exist on the report store {self}; create it or "
            "fix PROMOTEROS_REPORT_STORE_URL"
        )

    @contextmanager
    def _calls(self, action: str) -> Iterator[None]:
        """Turns botocore's errors into ours, naming the store and what to check."""
        try:
            yield
        except (BotoConnectionError, HTTPClientError) as error:
            raise ReportStoreUnavailable(
                f"the report store {self} did not answer while {action} "
                f"({type(error).__name__}); check PROMOTEROS_S3_ENDPOINT_URL and that the "
                "server is up, then retry the run"
            ) from error
        except (NoCredentialsError, PartialCredentialsError) as error:
            raise ReportStoreError(
                f"no usable S3 credentials for the report store {self}: set "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) for the code "
                "location and the ingress"
            ) from error
        except ClientError as error:
            code = _code(error)
            if code == "NoSuchBucket":
                raise self._no_bucket() from error
            if code in _DENIED:
                raise ReportStoreError(
                    f"the report store {self} refused access ({code}) while {action}; check the "
                    "S3 credentials and the bucket's policy"
                ) from error
            raise ReportStoreError(
                f"the report store {self} answered {code} while {action}"
            ) from error
        except BotoCoreError as error:
            raise ReportStoreError(
                f"the report store {self} failed while {action}: {type(error).__name__}"
            ) from error


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
