"""Durable writes to ``promoteros.webhook_events`` with commits shared across requests.

A commit per request caps the ingress at the disk's fsync rate. Instead each request puts its
event on a queue and waits; writer tasks take whatever has queued up, insert it with one
statement, commit once, and only then resolve every request's future. A request is therefore
still answered only after the commit that holds its row (durable before acknowledged).

Natural key: (``source``, ``webhook_id``): each source names its own messages, so the same id
from another source is another event, and a replay is only recognised within its source (it
never reveals another source's event id). ``INSERT ... ON CONFLICT (source, webhook_id) DO
NOTHING`` makes a redelivery a no-op; a concurrent insert of the same key by another batch or
replica waits for that transaction, and the follow-up ``SELECT`` (a new snapshot) then finds
its row.

A dead database must not hold requests: a pooled connection is waited for at most
``connect_timeout``, and a circuit breaker (pybreaker) opens after a few failed writes, so
while it is open every request is answered 503 at once, without touching the pool. After
``reset_timeout`` the next write is the trial: it closes the breaker if the database took it.
"""

import asyncio
import logging
from dataclasses import dataclass, field

import psycopg
import pybreaker
from psycopg_pool import AsyncConnectionPool, PoolTimeout

log = logging.getLogger(__name__)

# Binary parameters (%b): the text format would escape every character of every payload in
# Python, which cost more CPU than the rest of the request put together.
INSERT_BATCH = """
INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload)
SELECT source, event_type, webhook_id, payload
FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[]::jsonb[])
    AS incoming(source, event_type, webhook_id, payload)
ORDER BY source, webhook_id
ON CONFLICT (source, webhook_id) DO NOTHING
RETURNING source, webhook_id, event_id
"""
SELECT_EXISTING = """
SELECT e.source, e.webhook_id, e.event_id
FROM promoteros.webhook_events e
JOIN unnest(%s::text[], %s::text[]) AS wanted(source, webhook_id) USING (source, webhook_id)
"""
# A few failed writes in a row open the breaker; it lets one trial write through a second later.
BREAKER_FAIL_MAX = 3
BREAKER_RESET_SECONDS = 1.0


class InboxUnavailable(Exception):
    """The database did not take the event; the sender should retry (answered 503).

    ``maybe_stored``: the write may have reached the database before it failed (a timeout, a
    connection lost mid-commit); False when it was refused before any attempt (breaker open).
    """

    def __init__(self, reason: str, *, maybe_stored: bool = True) -> None:
        super().__init__(reason)
        self.maybe_stored = maybe_stored


class InboxRejected(Exception):
    """PostgreSQL refused this payload itself (e.g. a \\u0000 in a string); answered 422."""


@dataclass(slots=True)
class StoredEvent:
    event_id: int
    created: bool  # False: this webhook-id was already stored (a replay)


@dataclass(slots=True)
class _Pending:
    source: str
    event_type: str
    webhook_id: str
    payload: str
    future: asyncio.Future[StoredEvent] = field(repr=False)


class Inbox:
    """Group-committing writer over an async connection pool; one per ingress process."""

    def __init__(
        self,
        database_url: str,
        *,
        max_batch: int = 512,
        writers: int = 2,
        store_timeout: float = 5.0,
        connect_timeout: float = 0.5,
        max_queue: int = 20_000,
    ) -> None:
        self._pool = AsyncConnectionPool(
            database_url,
            min_size=writers + 1,
            max_size=writers + 2,
            open=False,
            name="ingress",
            # psycopg_pool retries a lost connection with a doubling delay (1, 2, 4, 8 s ...)
            # for reconnect_timeout: after a long outage its next try could come a minute after
            # the server is back. Give up after 3 s instead; the next write that needs a
            # connection (the breaker's trial, each second) then starts a fresh attempt at once.
            reconnect_timeout=3.0,
            # a server that does not answer is given up on quickly (the breaker does the rest)
            kwargs={"application_name": "promoteros-ingress", "connect_timeout": 2},
        )
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue(maxsize=max_queue)
        self._max_batch = max_batch
        self._writers = writers
        self._store_timeout = store_timeout
        self._connect_timeout = connect_timeout
        # a payload PostgreSQL refuses says nothing about the database's health
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=BREAKER_FAIL_MAX,
            reset_timeout=BREAKER_RESET_SECONDS,
            exclude=[psycopg.DataError],
            name="ingress-database",
        )
        self._tasks: list[asyncio.Task[None]] = []
        self.batches = 0
        self.rows = 0

    async def start(self) -> None:
        await self._pool.open(wait=False)
        self._tasks = [
            asyncio.create_task(self._write_forever(), name=f"inbox-writer-{n}")
            for n in range(self._writers)
        ]

    async def stop(self) -> None:
        """Let queued events commit, then stop the writers and close the pool."""
        for _ in range(100):
            if self._queue.empty():
                break
            await asyncio.sleep(0.05)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._pool.close()

    async def ping(self, timeout: float = 2.0) -> None:
        """Raise ``InboxUnavailable`` unless the database answers within ``timeout``."""
        try:
            async with self._pool.connection(timeout=timeout) as conn:
                await conn.execute("SELECT 1 FROM promoteros.webhook_events LIMIT 0")
        except Exception as error:
            raise InboxUnavailable(type(error).__name__) from error

    async def opportunity_exists(self, opportunity_id: int, timeout: float = 2.0) -> bool:
        """Whether a booking opportunity has this id (a ``booking.response`` must name one);
        ``InboxUnavailable`` (nothing stored) when the database does not answer."""
        try:
            async with self._pool.connection(timeout=timeout) as conn:
                cursor = await conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM promoteros.booking_opportunities WHERE id = %s)",
                    (opportunity_id,),
                )
                row = await cursor.fetchone()
        except Exception as error:
            raise InboxUnavailable(type(error).__name__, maybe_stored=False) from error
        return bool(row and row[0])

    async def store(
        self, source: str, event_type: str, webhook_id: str, payload: str
    ) -> StoredEvent:
        """Queue one event and wait until its row is committed (or was already there)."""
        future: asyncio.Future[StoredEvent] = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait(_Pending(source, event_type, webhook_id, payload, future))
        except asyncio.QueueFull:
            raise InboxUnavailable("the write queue is full", maybe_stored=False) from None
        try:
            # on timeout the future is cancelled; the writer skips it, the row may still commit
            # (the sender's retry with the same webhook-id then gets the 200 and the event id)
            async with asyncio.timeout(self._store_timeout):
                return await future
        except TimeoutError:
            raise InboxUnavailable("the database did not commit in time") from None

    async def _write_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                with self.breaker.calling():
                    results = await self._write(batch)
            except pybreaker.CircuitBreakerError as error:
                # open: refused before any attempt; tripping now: this batch's write failed
                tripped = error.__cause__ is not None or error.__context__ is not None
                if tripped:
                    log.error("Could not store %d webhook events; breaker open", len(batch))
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(
                            InboxUnavailable("the database is unreachable", maybe_stored=tripped)
                        )
                continue
            except psycopg.DataError as error:
                if not batch[0].future.done():
                    batch[0].future.set_exception(InboxRejected(str(error).splitlines()[0]))
                continue
            except Exception as error:
                log.error("Could not store %d webhook events: %s", len(batch), error)
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(
                            error
                            if isinstance(error, InboxUnavailable)
                            else InboxUnavailable(type(error).__name__)
                        )
                continue
            for item, result in zip(batch, results, strict=True):
                if item.future.done():
                    continue
                if isinstance(result, Exception):
                    item.future.set_exception(result)
                else:
                    item.future.set_result(result)

    async def _write(self, batch: list[_Pending]) -> list[StoredEvent | Exception]:
        for attempt in range(3):
            try:
                return list(await self._write_once(batch))
            except psycopg.errors.DeadlockDetected:
                # two batches (or replicas) holding the same ids in opposite order; rare
                if attempt == 2:
                    raise
            except psycopg.DataError:
                if len(batch) == 1:
                    raise
                break
        # one payload PostgreSQL refuses must not fail its neighbours: store them one by one
        results: list[StoredEvent | Exception] = []
        for item in batch:
            try:
                results.extend(await self._write_once([item]))
            except psycopg.DataError as error:
                results.append(InboxRejected(str(error).splitlines()[0]))
        return results

    async def _write_once(self, batch: list[_Pending]) -> list[StoredEvent]:
        columns = (
            [item.source for item in batch],
            [item.event_type for item in batch],
            [item.webhook_id for item in batch],
            [item.payload for item in batch],
        )
        try:
            async with (
                self._pool.connection(timeout=self._connect_timeout) as conn,
                conn.transaction(),
            ):
                cursor = await conn.execute(INSERT_BATCH, columns)
                inserted = {(src, wid): eid for src, wid, eid in await cursor.fetchall()}
                missing = [
                    (item.source, item.webhook_id)
                    for item in batch
                    if (item.source, item.webhook_id) not in inserted
                ]
                existing: dict[tuple[str, str], int] = {}
                if missing:
                    sources, ids = zip(*missing, strict=True)
                    cursor = await conn.execute(SELECT_EXISTING, (list(sources), list(ids)))
                    existing = {(src, wid): eid for src, wid, eid in await cursor.fetchall()}
        except PoolTimeout:
            raise InboxUnavailable("no database connection within the timeout") from None
        self.batches += 1
        self.rows += len(inserted)
        results = []
        for item in batch:
            key = (item.source, item.webhook_id)
            # the first request carrying a newly inserted key created it; any twin is a replay
            event_id = inserted.pop(key, None)
            if event_id is not None:
                existing[key] = event_id
                results.append(StoredEvent(event_id, created=True))
            else:
                results.append(StoredEvent(existing[key], created=False))
        return results
