"""Which browser origins may call the API (CORS), from PAYABLE_CORS_ORIGINS.

Unset: in development and demo, pages served from this machine (a front end on another local
port); in production none, so browsers keep other sites from reading answers. Tokens travel
in the Authorization header, never cookies, so no credentials mode is needed. Not ``*`` in
development: GraphiQL's page there holds a demo admin token, which no site may read.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from payable.settings import Settings

LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"


def cors(settings: Settings) -> list[Middleware]:
    """The CORS middleware these settings ask for (none at all in production by default)."""
    common = {
        "allow_methods": ["GET", "POST"],
        "allow_headers": ["Authorization", "Content-Type"],
        "expose_headers": ["Retry-After"],
        "max_age": 600,
    }
    if settings.cors_origins is not None:
        return [Middleware(CORSMiddleware, allow_origins=settings.cors_origins, **common)]
    if settings.environment == "production":
        return []
    return [Middleware(CORSMiddleware, allow_origin_regex=LOCAL_ORIGINS, **common)]
