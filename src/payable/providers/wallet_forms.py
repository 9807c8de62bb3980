"""What the wallet adapters (Idram, Telcell) share: form-encoded callbacks, MD5 checksums,
the gateway's local times, and the refusals of operations wallets do not offer."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qsl

from payable.core.clock import BUSINESS_ZONE
from payable.providers.base import InvalidCallback, OrderState, OrderStatus, ProviderError

# Neither wallet has a refund API: the money goes back by hand (in the wallet's merchant
# cabinet) and an accountant records it with the operator's reference (recordManualRefund).
MANUAL_REFUND_REQUIRED = "MANUAL_REFUND_REQUIRED"
NO_CANCEL_API = "NO_CANCEL_API"
_TIME_FORMATS = ("%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M:%S")


def params(query: Mapping[str, str], body: bytes, wallet: str) -> dict[str, str]:
    """The callback's fields: a form body (POST) or the query (GET). A repeated name refuses."""
    if not body:
        return dict(query)
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
    except ValueError:  # UnicodeDecodeError included
        raise InvalidCallback(f"{wallet} callback body is not a form") from None
    found = dict(pairs)
    if len(found) != len(pairs):
        raise InvalidCallback(f"{wallet} callback repeats a field")
    return found


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def same_checksum(expected: str, given: str) -> bool:
    """Constant-time, case-insensitive (the wallets' integrations differ on hex case)."""
    return hmac.compare_digest(expected.lower().encode(), given.strip().lower().encode())


def local_time(text: str) -> datetime | None:
    """A wallet's timestamp, in Yerevan time unless it says otherwise; None when unreadable
    (the door then takes the moment we learnt of it: late rather than early)."""
    text = text.strip()
    candidates = [lambda: datetime.fromisoformat(text)]
    candidates += [lambda f=f: datetime.strptime(text, f) for f in _TIME_FORMATS]
    for parse in candidates:
        try:
            moment = parse()
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=BUSINESS_ZONE)
    return None


def manual_refund(wallet: str) -> ProviderError:
    return ProviderError(
        MANUAL_REFUND_REQUIRED,
        f"{wallet} has no refund API: return the money in the {wallet} merchant cabinet and"
        " record it with the operator's reference",
    )


def no_news(provider_order_id: str) -> OrderStatus:
    """What a wallet with no status lookup says of an order: nothing (PENDING). Only its
    signed callback or its report bring money."""
    return OrderStatus(
        provider_order_id=provider_order_id,
        state=OrderState.PENDING,
        amount=None,
        provider_reference="",
        detail="NO_STATUS_API",
    )
