"""A loopback proxy that loses the ingress's first answer to each webhook-id.

The request reaches the ingress (and is stored), but the sender gets a 503 instead of the
202, as when a load balancer or the network drops a response. A sender that retries with
the same webhook-id then gets the ingress's 200 ``duplicate``; one that makes up a new id
would store the event twice. Every exchange is recorded for the test to read.
"""

from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Exchange:
    webhook_id: str
    ingress_status: int
    answered_status: int


@dataclass
class LossyProxy:
    upstream: str
    exchanges: list[Exchange] = field(default_factory=list)

    def app(self) -> Starlette:
        async def forward(request: Request) -> Response:
            body = await request.body()
            headers = {k: v for k, v in request.headers.items() if k.startswith("webhook-")}
            headers["content-type"] = request.headers.get("content-type", "")
            async with httpx.AsyncClient(base_url=self.upstream, timeout=30) as client:
                answer = await client.post(request.url.path, content=body, headers=headers)
            webhook_id = request.headers.get("webhook-id", "")
            first = all(e.webhook_id != webhook_id for e in self.exchanges)
            answered = 503 if first else answer.status_code
            self.exchanges.append(Exchange(webhook_id, answer.status_code, answered))
            if first:
                return Response('{"error": "lost"}', status_code=503)
            return Response(answer.content, answer.status_code, media_type="application/json")

        return Starlette(routes=[Route("/{path:path}", forward, methods=["POST"])])
