"""uvicorn's websocket protocol, plus a way to write a text message already encoded.

A live event goes to a thousand subscribers as the same few bytes; through ASGI each copy
was framed again by the websockets library and written on its own, most of a burst's cost.
This protocol offers the app one extension (`scope["extensions"][EXTENSION]`): a function
that writes text messages (their UTF-8 bytes) as frames straight to the socket, in one
write, and says False, writing nothing, when the connection is not open or is paused for a
slow reader (the caller then sends the ordinary way, which waits). Frames are unfragmented
and uncompressed, which every client must accept (RFC 6455, RFC 7692: RSV1 unset).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

EXTENSION = "payable.websocket.write_text"
WriteText = Callable[[Sequence[bytes]], bool]
_FIN_TEXT = 0x81  # final frame, opcode 1 (text); a server's frames are not masked


def text_frame(payload: bytes) -> bytes:
    size = len(payload)
    if size < 126:
        return bytes((_FIN_TEXT, size)) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", _FIN_TEXT, 126, size) + payload
    return struct.pack("!BBQ", _FIN_TEXT, 127, size) + payload


def writer(scope: dict[str, object]) -> WriteText | None:
    """The connection's writer, when it was accepted by this protocol."""
    extensions = scope.get("extensions")
    return extensions.get(EXTENSION) if isinstance(extensions, dict) else None


class LiveWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: object) -> None:
        super().handle_connect(event)  # type: ignore[arg-type]
        if not self.close_sent:  # accepted: the app's scope exists and is not running yet
            self.scope["extensions"][EXTENSION] = self.write_text  # type: ignore[index]

    def write_text(self, payloads: Sequence[bytes]) -> bool:
        if (
            not self.handshake_complete
            or self.close_sent
            or self.initial_response is not None
            or self.conn.state is not State.OPEN
            or not self.writable.is_set()
            or self.transport.is_closing()
        ):
            return False
        self.transport.write(b"".join(text_frame(p) for p in payloads))
        return True
