"""Structured JSON logs, one object per line, for our own loggers and every library's.

Log ids, codes and amounts; never names, contacts, card data, caller-supplied values or SQL
parameters. A bug is logged with its type and the frames it passed through, not its message,
which may quote what a caller sent (a database error quotes the row).
"""

from __future__ import annotations

import logging
import sys
import traceback

import structlog

_SHARED: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_SHARED,
            processors=[
                _without_messages_of_exceptions,
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    structlog.configure(  # ours go through the same handler and formatter as libraries' records
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )


def frames(error: BaseException) -> str:
    """Where ``error`` was raised, as traceback frames, with type names but no messages."""
    chain: list[str] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 5:
        chain.append(
            "".join(traceback.format_tb(current.__traceback__)) + type(current).__qualname__
        )
        current = current.__cause__ or current.__context__
    return "\n-- caused by --\n".join(reversed(chain))


def _without_messages_of_exceptions(
    _logger: object, _name: str, event: dict[str, object]
) -> dict[str, object]:
    """Turn ``exc_info`` (ours or a library's) into type and frames only."""
    info = event.pop("exc_info", None)
    if info is True:
        info = sys.exc_info()[1]
    elif isinstance(info, tuple):
        info = info[1]
    if isinstance(info, BaseException):
        event["error_type"] = event.get("error_type") or type(info).__name__
        event["traceback"] = frames(info)
    return event
