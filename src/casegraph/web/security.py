"""Request-level protections: security headers, body limits, CSRF tokens (limits: throttle.py)."""

from __future__ import annotations

import hashlib
import hmac

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casegraph.intake.tips import LIMITS
from casegraph.store.caselock import request_wait

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; media-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), autoplay=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

# Only ever sent over HTTPS (by serve --certfile, or behind a trusted TLS proxy).
HSTS = (b"strict-transport-security", b"max-age=31536000")
# The public form's worst case: every field full of 4-byte characters, each byte
# percent-encoded (3 characters) in a form post, or two \uXXXX escapes (12) in JSON.
PUBLIC_BODY_LIMIT = 12 * sum(LIMITS.values()) + 8 * 1024


class SecurityHeaders:
    """Adds the headers to every response (pure ASGI: no per-request task or body copy)."""

    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app = app
        self.https = https
        self.headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = scope.get("path", "").startswith(
            ("/cases", "/api", "/tips", "/audit", "/dashboard", "/me")
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                added = [(n, v) for n, v in self.headers if n not in present]
                if self.https or scope.get("scheme") == "https":
                    added.append(HSTS)
                if private:
                    added = [h for h in added if h[0] != b"cache-control"]
                    added.append((b"cache-control", b"no-store"))
                message["headers"] = [
                    h
                    for h in message.get("headers", [])
                    if not (private and h[0] == b"cache-control")
                ] + added
            await send(message)

        await self.app(scope, receive, send_with_headers)


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def csrf_token(secret: bytes, session_id: str) -> str:
    """Bound to the session (or the anonymous form cookie), so it cannot be replayed elsewhere."""
    return hmac.new(secret, f"csrf|{session_id}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, session_id: str, token: str) -> bool:
    return bool(session_id) and hmac.compare_digest(csrf_token(secret, session_id), token or "")


class BodyLimit:
    """Refuse request bodies over the limit (413) before any parsing; public paths get less."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int = 256 * 1024,
        public_limit: int = PUBLIC_BODY_LIMIT,
        chunk_limit: int = 8 * 2**20 + 1024,
        upload_limit: int = 2 * 2**30,
    ) -> None:
        self.app = app
        self.limit = limit
        self.public_limit = public_limit
        self.chunk_limit = chunk_limit  # resumable upload chunks (PUT /api/uploads/ID)
        self.upload_limit = upload_limit  # one-request upload form of browsers without script

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.limit
        if path.startswith(("/report", "/api/public")):
            limit = self.public_limit
        elif path.startswith("/api/uploads/") and scope.get("method") == "PUT":
            limit = self.chunk_limit
        elif path.startswith("/cases/") and path.endswith("/upload"):
            limit = self.upload_limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await PlainTextResponse("request body too large", status_code=413)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(status_code=413, detail="request body too large")
            return message

        await self.app(scope, counted, send)


class ShortCaseWaits:
    """Requests wait at most `seconds` for a case another writer holds, then get a 400 naming
    the writer, instead of hanging behind a long ingest (job workers keep the long wait)."""

    def __init__(self, app: ASGIApp, seconds: float = 20.0) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = request_wait.set(self.seconds)
        try:
            await self.app(scope, receive, send)
        finally:
            request_wait.reset(token)
