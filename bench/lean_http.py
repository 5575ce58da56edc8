"""A lean HTTP/1.1 load client: one keep-alive connection on a raw socket, requests prepared
as bytes before the clock starts, each answer read by its Content-Length.

The load generator shares the machine's two cores with the server it measures. httpx spends
a few hundred microseconds of CPU on each request (building it, parsing headers, decoding),
more than the budget check now costs the server, so its own work would be measured as the
server's latency. This spends a few microseconds. It speaks just enough HTTP for our own
server's answers (Content-Length bodies, no chunking), and says so when it meets anything else.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit


class Connection:
    def __init__(self, base: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._head = "".join(f"{name}: {value}\r\n"
                             for name, value in {"Host": f"{host}:{port}", **headers}.items())
        self._buffer = b""

    def prepare(self, method: str, path: str, body: bytes = b"",
                content_type: str = "application/json") -> bytes:
        extra = f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n" \
            if body or method == "POST" else ""
        return f"{method} {path} HTTP/1.1\r\n{self._head}{extra}\r\n".encode("latin-1") + body

    def send(self, prepared: bytes) -> tuple[int, bytes]:
        """Send a prepared request; (status, body) of its answer."""
        self.sock.sendall(prepared)
        return self._answer()

    def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        return self.send(self.prepare(method, path, body))

    def _answer(self) -> tuple[int, bytes]:
        buffer = self._buffer
        while (end := buffer.find(b"\r\n\r\n")) < 0:
            buffer += self._recv()
        head = buffer[:end]
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise ValueError(f"an answer without Content-Length: {head[:200]!r}")
        total = end + 4 + length
        while len(buffer) < total:
            buffer += self._recv()
        self._buffer = buffer[total:]
        return int(head[9:12]), buffer[end + 4:total]

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
