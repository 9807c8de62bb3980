"""Security headers on every HTTP answer; a route may bring its own Content-Security-Policy.

Pages this server renders (GraphiQL, the sandbox's page, a payment form) set a policy fit for
what they load; everything else gets ``frame-ancestors 'none'`` (and the older
``X-Frame-Options``), so no other site can frame it. A route's own policy is kept whole, so it
must say ``frame-ancestors`` itself (``policy()`` adds ``'none'`` when it does not). HSTS only
when the public URL is https: over plain http a browser ignores it, and a development server
must not teach a browser to demand TLS from localhost.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_CSP = "frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"


def policy(directives: str) -> str:
    """A page's own policy, with ``frame-ancestors 'none'`` unless it names its framers."""
    if "frame-ancestors" in directives:
        return directives
    return f"{directives.rstrip('; ')}; {DEFAULT_CSP}"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.always: list[tuple[bytes, bytes]] = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),  # return pages' paths name payment requests
        ]
        if https:
            self.always.append((b"strict-transport-security", HSTS.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in self.always if n not in names]
                if b"content-security-policy" not in names:
                    headers += [
                        (b"content-security-policy", DEFAULT_CSP.encode()),
                        (b"x-frame-options", b"DENY"),
                    ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
