"""Every refusal code the API can answer, rendered from the domains' catalogues for the README."""

from __future__ import annotations

from payable.core.errors import CommonRefusal, Refusal
from payable.idempotency.refusals import IdempotencyRefusal

# Codes every mutation (or every one taking a key) declares: listing them all says nothing.
_EVERYWHERE = {
    CommonRefusal.FORBIDDEN: "every mutation",
    **{refusal: "every mutation with an idempotencyKey" for refusal in IdempotencyRefusal},
}


def catalogues() -> list[type[Refusal]]:
    """The catalogues of every domain and vertical the schema serves, common codes first."""
    import payable.graphql.schema  # noqa: F401 - loads every domain, vertical and mutation

    found = Refusal.__subclasses__()
    return sorted(found, key=lambda c: (c is not CommonRefusal, c.__module__))


def returned_by(refusal: Refusal) -> list[str]:
    """The schema's mutations that declare ``refusal``, by field name."""
    from payable.graphql.mutations.declaration import DECLARATIONS
    from payable.graphql.schema import schema

    mutation = schema._schema.mutation_type
    served = set(mutation.fields) if mutation is not None else set()
    return sorted(
        name
        for name, declared in DECLARATIONS.items()
        if name in served and refusal in declared.refusals
    )


def markdown() -> str:
    """The README's catalogue: one table per domain, a code, its message and who returns it."""
    parts = []
    for catalogue in catalogues():
        domain = catalogue.__module__.removeprefix("payable.").removesuffix(".refusals")
        domain = "common" if catalogue is CommonRefusal else domain
        rows = "".join(f"| `{r.code}` | {r.message} | {_who(r)} |\n" for r in catalogue)
        parts.append(
            f"**{domain}** (`{catalogue.__name__}`)\n\n"
            f"| code | meaning | returned by |\n| --- | --- | --- |\n{rows}"
        )
    return "\n".join(parts)


def _who(refusal: Refusal) -> str:
    if refusal in _EVERYWHERE:
        return _EVERYWHERE[refusal]
    names = returned_by(refusal)
    return (
        ", ".join(f"`{name}`" for name in names)
        if names
        else "queries only (a GraphQL error, `extensions.code`)"
    )
