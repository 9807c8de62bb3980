"""A fake Telcell wallet: takes the browser's invoice form at ``/invoices`` (checking its
``security_code``), then, when the customer pays (``pay``), calls the merchant's result URL with
a signed callback, as the public Telcell integrations describe it.

Tests can send another sum, a forged checksum or a status other than PAID, and repeat the last
callback (``resend_last``).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from payable.core import clock

SHOP_ID = "shop-4471"
SHOP_KEY = "telcell-shop-key-Kp02"
_ids = itertools.count(500_001)


@dataclass
class Invoice:
    invoice_id: str
    issuer_id: str  # base64 of the merchant's order number, as sent
    order_number: str
    price: str
    description: str


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class FakeTelcell:
    def __init__(self, merchant: httpx.AsyncClient, result_path: str = "/webhooks/telcell") -> None:
        self.merchant = merchant
        self.result_path = result_path
        self.invoices: dict[str, Invoice] = {}  # by order number
        self.sent: list[dict[str, str]] = []
        self.app = Starlette(routes=[Route("/invoices", self._invoice, methods=["POST"])])

    async def _invoice(self, request: Request) -> Response:
        f = {k: str(v) for k, v in (await request.form()).items()}
        if f.get("action") != "PostInvoice" or f.get("issuer") != SHOP_ID:
            return PlainTextResponse("bad invoice", status_code=400)
        names = ("issuer", "currency", "price", "product", "issuer_id", "valid_days")
        if md5(SHOP_KEY + "".join(f[n] for n in names)) != f.get("security_code"):
            return PlainTextResponse("security_code does not verify", status_code=403)
        order = base64.b64decode(f["issuer_id"]).decode()
        self.invoices[order] = Invoice(
            str(next(_ids)),
            f["issuer_id"],
            order,
            f["price"],
            base64.b64decode(f["product"]).decode(),
        )
        return HTMLResponse("<h1>Telcell: pay the invoice in your wallet</h1>")

    async def pay(
        self,
        order_number: str,
        *,
        sum: str | None = None,
        status: str = "PAID",
        buyer: str = "37491000000",
        time: str | None = None,
        forge: bool = False,
        tamper: dict[str, str] | None = None,
    ) -> httpx.Response:
        invoice = self.invoices.get(order_number) or Invoice(
            str(next(_ids)),
            base64.b64encode(order_number.encode()).decode(),
            order_number,
            "100.00",
            "?",
        )
        fields = {
            "invoice_id": invoice.invoice_id,
            "issuer_id": invoice.issuer_id,
            "payment_id": str(next(_ids)),
            "buyer": buyer,
            "currency": "֏",
            "sum": sum if sum is not None else invoice.price,
            "time": time or _now(),
            "status": status,
        }
        signed = "".join(fields[n] for n in fields)
        fields["checksum"] = md5(("forged-key" if forge else SHOP_KEY) + signed)
        return await self._post(fields | (tamper or {}))  # tamper: changed after signing

    async def resend_last(self) -> httpx.Response:
        return await self._post(self.sent[-1])

    async def _post(self, fields: dict[str, str]) -> httpx.Response:
        self.sent.append(fields)
        return await self.merchant.post(self.result_path, data=fields)


def _now() -> str:
    """The wallet's local (Yerevan) time, as it writes it."""
    return clock.now().astimezone(clock.BUSINESS_ZONE).strftime("%Y-%m-%d %H:%M:%S")
