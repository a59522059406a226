"""Messages between the warm-start client and server: JSON objects, each preceded by its length (4 bytes, big-endian),
over a Unix stream socket; the client's standard streams travel with its request as SCM_RIGHTS file descriptors."""

from __future__ import annotations

import json
import socket
import struct

HEADER = struct.Struct(">I")
# A request carries the job's whole environment; a megabyte is far more than any shell allows.
MAX_MESSAGE = 1 << 20
STANDARD_STREAMS = (0, 1, 2)


def encode(message: dict) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return HEADER.pack(len(body)) + body


def receive(sock: socket.socket, max_fds: int = 0) -> tuple[dict | None, list[int]]:
    """One message and the file descriptors sent with it; (None, []) if the peer closed the connection first."""
    chunks: list[bytes] = []
    fds: list[int] = []
    expected: int | None = None
    received = 0
    while expected is None or received < expected:
        wanted = HEADER.size if expected is None else expected - received
        if max_fds and not fds:
            data, new_fds, _flags, _address = socket.recv_fds(sock, wanted, max_fds)
            fds.extend(new_fds)
        else:
            data = sock.recv(wanted)
        if not data:
            for fd in fds:
                _close_quietly(fd)
            return None, []
        if expected is None:
            chunks.append(data)
            header = b"".join(chunks)
            if len(header) < HEADER.size:
                continue
            (expected,) = HEADER.unpack(header[: HEADER.size])
            if expected > MAX_MESSAGE:
                raise ValueError(f"warm-start message of {expected} bytes")
            chunks, received = [header[HEADER.size :]], len(header) - HEADER.size
        else:
            chunks.append(data)
            received += len(data)
    return json.loads(b"".join(chunks).decode("utf-8")), fds


def _close_quietly(fd: int) -> None:
    import os

    try:
        os.close(fd)
    except OSError:
        pass
