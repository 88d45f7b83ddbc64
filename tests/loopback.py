"""
A misbehaving HTTP server on 127.0.0.1 for fault tests: it hangs, trickles, cuts a body short or
answers garbage, as a real PubMed or Crossref sometimes does. Raw sockets, so the faults are real
ones (nothing in the client under test is patched).

    with LoopbackServer(behaviour) as server:
        http_transport(server.url, {...}, 2)

`behaviour(connection)` is called in a thread for each accepted connection, after the request
head was read. The server stops (and its connections close) at the end of the `with` block.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

Behaviour = Callable[[socket.socket], None]


class LoopbackServer:
    def __init__(self, behaviour: Behaviour):
        self.behaviour = behaviour
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/efetch.fcgi"
        self.requests = 0
        self._stopped = threading.Event()
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        for connection in self._connections:
            connection.close()
        self.listener.close()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._connections.append(connection)
            self.requests += 1
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        connection.settimeout(5)
        try:
            _read_request(connection)
            self.behaviour(connection)
        except OSError:
            pass

    def wait_stopped(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking when the server stops (for behaviours that hang)."""
        return self._stopped.wait(seconds)


def _read_request(connection: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            return
        body += chunk


# --- behaviours ---------------------------------------------------------------------------


def answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> Behaviour:
    def behave(connection: socket.socket) -> None:
        head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close"]
        head += [f"{name}: {value}" for name, value in (headers or {}).items()]
        connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    return behave


def hang(server_holder: list[LoopbackServer]) -> Behaviour:
    """Accept, read the request, and never answer (until the server stops)."""

    def behave(connection: socket.socket) -> None:
        server_holder[0].wait_stopped(120)

    return behave


def trickle(every: float) -> Behaviour:
    """A status line and headers, then one byte of a long body every `every` seconds."""

    def behave(connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(100000):
            time.sleep(every)
            connection.sendall(b"x")

    return behave


def cut_short(connection: socket.socket) -> None:
    """Announce 100 bytes, send 10, close: http.client's IncompleteRead."""
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
    connection.close()


def garbage(connection: socket.socket) -> None:
    """Not HTTP at all: http.client's BadStatusLine."""
    connection.sendall(b"HELLO THERE\r\n\r\n")
    connection.close()


def hanging_server() -> LoopbackServer:
    """A server that accepts every request and never answers."""
    holder: list[LoopbackServer] = []
    server = LoopbackServer(hang(holder))
    holder.append(server)
    return server
