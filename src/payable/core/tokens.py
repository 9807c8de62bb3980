"""Bearer tokens: HS256 JWTs with the claims sub, tenant and role."""

from __future__ import annotations

import re
from datetime import timedelta

import jwt

from payable.core import clock
from payable.core.principal import Role

_TENANT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_SUB = 128  # the width of the actor column every event records it in


class InvalidToken(Exception):
    """The token is missing a claim, expired, or not signed with our secret."""


def issue(*, secret: str, tenant: str, role: Role, sub: str, ttl: timedelta) -> str:
    if not _TENANT.match(tenant):
        raise ValueError("tenant must be 1-64 lowercase letters, digits, '-' or '_'")
    if not 1 <= len(sub) <= MAX_SUB:
        raise ValueError(f"sub must be 1 to {MAX_SUB} characters")
    issued = clock.now()
    claims = {"sub": sub, "tenant": tenant, "role": role.value, "iat": issued, "exp": issued + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(token: str, *, secret: str) -> tuple[str, str, Role]:
    """(sub, tenant, role) of a valid token."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]}
        )
        sub, tenant, role = claims["sub"], claims["tenant"], Role(claims["role"])
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        raise InvalidToken(str(error) or type(error).__name__) from None
    if not isinstance(sub, str) or not 1 <= len(sub) <= MAX_SUB:
        raise InvalidToken(f"claim sub must be 1 to {MAX_SUB} characters")
    if not isinstance(tenant, str) or not _TENANT.match(tenant):
        raise InvalidToken("claim tenant must be a tenant slug")
    return sub, tenant, role
