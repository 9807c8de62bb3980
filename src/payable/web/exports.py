"""GET /exports/accounting.csv?from=YYYY-MM-DD&to=YYYY-MM-DD, for accountants and admins."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from payable.audit import service as audit
from payable.core.errors import DomainError, Forbidden
from payable.reports import export

OPERATION = "accountingExport"  # its name in the audit log


async def accounting(request: Request) -> Response:
    principal, error = await request.app.state.graphql.authenticate(
        request.headers.get("authorization")
    )
    if principal is None:
        return PlainTextResponse(error or "authentication required", status_code=401)
    try:
        export.require_export(principal)
    except Forbidden as refused:
        # Refused like a mutation: the audit entry is the refusal's trace.
        await audit.refused(
            db=request.app.state.db,
            principal=principal,
            operation=OPERATION,
            outcome=refused.code,
        )
        return PlainTextResponse(refused.message, status_code=403)
    try:
        first = date.fromisoformat(request.query_params["from"])
        last = date.fromisoformat(request.query_params.get("to", request.query_params["from"]))
        stream = export.rows(
            db=request.app.state.db, tenant_id=principal.tenant_id, first=first, last=last
        )
        head = await anext(stream)  # surfaces a bad period before the response starts
    except DomainError as refused:
        return PlainTextResponse(refused.message, status_code=400)
    except (KeyError, ValueError):
        return PlainTextResponse("give from=YYYY-MM-DD and to=YYYY-MM-DD", status_code=400)

    async def body():  # type: ignore[no-untyped-def]
        yield head
        async for chunk in stream:
            yield chunk

    filename = f"payable-{first.isoformat()}-{last.isoformat()}.csv"
    return StreamingResponse(
        body(),
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


routes = [Route("/exports/accounting.csv", accounting, methods=["GET"])]
