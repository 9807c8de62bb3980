"""What a customer's browser does with our wallet payment page: read its auto-posting form."""

from __future__ import annotations

import html
import re

import httpx

_FORM = re.compile(r'<form method="post" action="([^"]*)">')
_FIELD = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')


async def read_form(
    client: httpx.AsyncClient, payment_url: str
) -> tuple[str, list[tuple[str, str]]]:
    """The form's action and fields, in order, as the browser would post them."""
    page = await client.get(payment_url)
    assert page.status_code == 200, page.text
    action = _FORM.search(page.text)
    assert action is not None, page.text
    fields = [(html.unescape(n), html.unescape(v)) for n, v in _FIELD.findall(page.text)]
    return html.unescape(action.group(1)), fields
