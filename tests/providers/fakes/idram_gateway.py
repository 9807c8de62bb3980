"""A fake Idram wallet: takes the browser's form at ``/Payment/GetPayment``, then, when the
customer pays (``pay``), asks the merchant's result URL first (``EDP_PRECHECK=YES``) and sends
the signed confirmation only after an ``OK``, as Idram does.

Tests can skip the precheck, send another amount, forge the checksum, or repeat the last
confirmation (``resend_last``), to see what the merchant does with each.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from payable.core import clock

REC_ACCOUNT = "110000601"
SECRET_KEY = "idram-secret-key-Zq81"
_transactions = itertools.count(1_000_000_001)


@dataclass
class Bill:
    bill_no: str
    amount: str  # exactly as the form sent it
    description: str
    language: str


def checksum(fields: dict[str, str], secret_key: str = SECRET_KEY) -> str:
    parts = [fields[n] for n in ("EDP_REC_ACCOUNT", "EDP_AMOUNT")] + [secret_key]
    parts += [fields[n] for n in ("EDP_BILL_NO", "EDP_PAYER_ACCOUNT", "EDP_TRANS_ID")]
    parts += [fields["EDP_TRANS_DATE"]]
    return hashlib.md5(":".join(parts).encode()).hexdigest()


class FakeIdram:
    def __init__(self, merchant: httpx.AsyncClient, result_path: str = "/webhooks/idram") -> None:
        self.merchant = merchant  # how Idram reaches the merchant's server
        self.result_path = result_path
        self.bills: dict[str, Bill] = {}
        self.sent: list[dict[str, str]] = []  # every request made to the result URL
        self.app = Starlette(routes=[Route("/Payment/GetPayment", self._form, methods=["POST"])])

    async def _form(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        if form.get("EDP_REC_ACCOUNT") != REC_ACCOUNT:
            return PlainTextResponse("unknown merchant", status_code=400)
        bill = Bill(
            form["EDP_BILL_NO"], form["EDP_AMOUNT"], form["EDP_DESCRIPTION"], form["EDP_LANGUAGE"]
        )
        self.bills[bill.bill_no] = bill
        return HTMLResponse("<h1>Idram: confirm the payment in your wallet</h1>")

    async def precheck(self, bill_no: str, amount: str | None = None) -> httpx.Response:
        fields = {
            "EDP_PRECHECK": "YES",
            "EDP_BILL_NO": bill_no,
            "EDP_REC_ACCOUNT": REC_ACCOUNT,
            "EDP_AMOUNT": amount if amount is not None else self.bills[bill_no].amount,
        }
        return await self._post(fields)

    async def pay(
        self,
        bill_no: str,
        *,
        amount: str | None = None,
        payer: str = "200000123",
        trans_date: str | None = None,
        skip_precheck: bool = False,
        forge: bool = False,
        tamper: dict[str, str] | None = None,
    ) -> tuple[httpx.Response | None, httpx.Response | None]:
        """(precheck answer, confirmation answer); no confirmation unless the precheck said OK."""
        amount = amount if amount is not None else self.bills[bill_no].amount
        asked = None if skip_precheck else await self.precheck(bill_no, amount)
        if asked is not None and asked.text != "OK":
            return asked, None
        fields = {
            "EDP_BILL_NO": bill_no,
            "EDP_REC_ACCOUNT": REC_ACCOUNT,
            "EDP_PAYER_ACCOUNT": payer,
            "EDP_AMOUNT": amount,
            "EDP_TRANS_ID": str(next(_transactions)),
            "EDP_TRANS_DATE": trans_date or _now(),
        }
        fields["EDP_CHECKSUM"] = checksum(fields, "not-the-secret" if forge else SECRET_KEY)
        return asked, await self._post(fields | (tamper or {}))  # tamper: changed after signing

    async def resend_last(self) -> httpx.Response:
        return await self._post(self.sent[-1])

    async def _post(self, fields: dict[str, str]) -> httpx.Response:
        self.sent.append(fields)
        return await self.merchant.post(self.result_path, data=fields)


def _now() -> str:
    """The wallet's local (Yerevan) time, as it writes it."""
    return clock.now().astimezone(clock.BUSINESS_ZONE).strftime("%d/%m/%Y %H:%M:%S")
