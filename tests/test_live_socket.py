"""Messages written straight to a socket are frames any websocket client reads back as sent."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from payable.web.live_socket import text_frame


def _read(data: bytes, count: int) -> list[Frame]:
    """``count`` frames from ``data``, parsed by the websockets library as a client does."""
    reader, frames = StreamReader(), []
    reader.feed_data(data)
    for _ in range(count):
        parser = Frame.parse(reader.read_exact, mask=False)
        with pytest.raises(StopIteration) as done:
            next(parser)
        frames.append(done.value.value)
    assert not reader.buffer  # nothing more was written
    return frames


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
def test_one_text_message_per_frame_whatever_its_length(size: int) -> None:
    payload = ("é" * (size // 2) + "x" * (size % 2)).encode()
    frames = _read(text_frame(payload) + text_frame(b'{"next":2}'), 2)
    assert [(f.opcode, f.fin, f.rsv1, bytes(f.data)) for f in frames] == [
        (Opcode.TEXT, True, False, payload),
        (Opcode.TEXT, True, False, b'{"next":2}'),
    ]
