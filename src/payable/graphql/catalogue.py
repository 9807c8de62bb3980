"""Every refusal code the API can answer, rendered from the domains' catalogues for the README."""

from __future__ import annotations

from payable.core.errors import Refusal


def catalogues() -> list[type[Refusal]]:
    """The catalogues of every domain and vertical the schema serves, common codes first."""
    import payable.graphql.schema  # noqa: F401 - loads every domain and vertical

    found = Refusal.__subclasses__()
    return sorted(found, key=lambda c: (c.__name__ != "CommonRefusal", c.__module__))


def markdown() -> str:
    """The README's catalogue: one table per domain, a code and its message per row."""
    parts = []
    for catalogue in catalogues():
        domain = catalogue.__module__.removeprefix("payable.").removesuffix(".refusals")
        domain = "common" if domain == "core.errors" else domain
        rows = "".join(f"| `{r.code}` | {r.message} |\n" for r in catalogue)
        parts.append(
            f"**{domain}** (`{catalogue.__name__}`)\n\n| code | meaning |\n| --- | --- |\n{rows}"
        )
    return "\n".join(parts)
