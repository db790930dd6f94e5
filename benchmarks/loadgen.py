"""The whole-app scenario: a uvicorn server in a subprocess, and its clients.

Runs inside the worker (stdlib only, plus uvicorn in the venv for the
server). The load comes from this module's own small HTTP/1.1 keep-alive
client on asyncio streams rather than a client library: the clients share
the machine's cores with the server and PostgreSQL, and the less CPU they
spend the more the figures are the server's.

Each phase runs ``clients`` connections for a fixed time: a read phase
alternates one row by primary key with a page of 20 rows, a write phase
increments one counter row with F(). The figures are requests per second of
each phase, the errors (any answer but 200, and any failed connection) and
the lost writes: the write requests answered 200 that the counter does not
show at the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
COUNTER_PK = 1
PAGES = 40  # pages of 20 rows the list view is asked for, in turn


# The cookie that carries a client's session (Django's SESSION_COOKIE_NAME).
SESSION_COOKIE = "sessionid"


def request(method: str, path: str, session: str | None = None) -> bytes:
    cookie = f"Cookie: {SESSION_COOKIE}={session}\r\n" if session else ""
    return (
        f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n{cookie}"
        "Content-Length: 0\r\n\r\n"
    ).encode("ascii")


def parse_head(head: bytes) -> tuple[int, int | None, bool]:
    """A response head's status, Content-Length and whether it keeps alive.

    The length is None for a chunked body (Django's ASGI handler sends its
    responses so, without Content-Length). Raises ValueError for a head that
    is not HTTP/1.x, or that has neither a length nor chunked encoding.
    """
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ValueError(f"not an HTTP/1.x status line: {lines[0]!r}")
    status = int(parts[1])
    length, chunked, keep = None, False, parts[0] == "HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding":
            chunked = value.endswith("chunked")
        elif name == "connection":
            keep = value != "close"
    if chunked:
        return status, None, keep
    if length is None:
        raise ValueError("response with neither Content-Length nor chunks")
    return status, length, keep


def chunk_size(line: bytes) -> int:
    """The size a chunk's header line announces (extensions ignored)."""
    return int(line.split(b";", 1)[0].strip(), 16)


async def read_body(reader: asyncio.StreamReader, length: int | None) -> bytes:
    if length is not None:
        return await reader.readexactly(length)
    body = []
    while True:
        size = chunk_size(await reader.readuntil(b"\r\n"))
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers: the closing CRLF
            return b"".join(body)
        body.append(await reader.readexactly(size))
        await reader.readexactly(2)


def read_paths(table_rows: int, count: int) -> list[tuple[str, str]]:
    """The read phase's requests, in turn: a row by pk, then a page of rows."""
    paths = []
    for i in range(count):
        if i % 2:
            paths.append(("GET", f"/items/{(i // 2) % PAGES}"))
        else:
            pk = (i * 7919) % table_rows + 1
            paths.append(("GET", f"/item/{pk}"))
    return paths


WRITE_PATHS = [("POST", f"/bump/{COUNTER_PK}")]


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    def answered(self, status: int) -> None:
        if status == 200:
            self.ok += 1
        else:
            self.errors += 1
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def failed(self, exc: BaseException) -> None:
        self.errors += 1
        name = type(exc).__name__
        self.failures[name] = self.failures.get(name, 0) + 1

    def merge(self, other: "Tally") -> None:
        self.ok += other.ok
        self.errors += other.errors
        for k, v in other.statuses.items():
            self.statuses[k] = self.statuses.get(k, 0) + v
        for k, v in other.failures.items():
            self.failures[k] = self.failures.get(k, 0) + v


async def client(
    port: int,
    paths: Sequence[tuple[str, str]],
    offset: int,
    deadline: float,
    tally: Tally,
    session: str | None = None,
) -> None:
    """One connection sending requests one after another until deadline,
    with the session cookie if it has one."""
    reader = writer = None
    i = offset
    while time.monotonic() < deadline:
        method, target = paths[i % len(paths)]
        i += 1
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(request(method, target, session))
            head = await reader.readuntil(b"\r\n\r\n")
            status, length, keep = parse_head(head)
            await read_body(reader, length)
            tally.answered(status)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            tally.failed(exc)
            keep = False
            await asyncio.sleep(0.01)  # a server that is gone: no busy loop
        if not keep and writer is not None:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def phase(
    port: int,
    paths: Sequence[tuple[str, str]],
    clients: int,
    seconds: float,
    sessions: Sequence[str] = (),
) -> tuple[float, Tally]:
    """Requests answered 200 per second, and the tally, of one phase.

    With sessions, client n sends the n-th (in turn when there are fewer).
    """
    tallies = [Tally() for _ in range(clients)]
    start = time.monotonic()
    deadline = start + seconds
    await asyncio.gather(
        *(
            client(port, paths, n * 7, deadline, tallies[n], session_of(sessions, n))
            for n in range(clients)
        )
    )
    elapsed = time.monotonic() - start
    total = Tally()
    for t in tallies:
        total.merge(t)
    return total.ok / elapsed, total


def session_of(sessions: Sequence[str], n: int) -> str | None:
    return sessions[n % len(sessions)] if sessions else None


def lost_writes(answered: int, before: int, after: int) -> int:
    """Writes answered 200 that the counter does not show."""
    return answered - (after - before)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(
    databases: dict[str, Any],
    port: int,
    log: Path,
    profile: str = "plain",
    workers: int = 1,
) -> subprocess.Popen:
    settings = {"DATABASES": databases, "PROFILE": profile}
    env = {**os.environ, "BENCH_APP_SETTINGS": json.dumps(settings)}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "webapp:application",
        "--app-dir",
        str(HERE),
        "--host",
        HOST,
        "--port",
        str(port),
        "--loop",
        "asyncio",
        "--http",
        "h11",
        "--lifespan",
        "off",
        "--no-access-log",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    out = open(log, "w", encoding="utf-8")
    try:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    finally:
        out.close()


async def get_json(port: int, target: str) -> tuple[int, Any]:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(request("GET", target))
        status, length, _ = parse_head(await reader.readuntil(b"\r\n\r\n"))
        body = await read_body(reader, length)
        return status, json.loads(body) if body else None
    finally:
        writer.close()


async def wait_ready(port: int, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            status, _ = await get_json(port, "/health")
            if status == 200:
                return
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer within {timeout:g} s")
        await asyncio.sleep(0.1)


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)  # uvicorn shuts down gracefully
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run(
    sizes: dict[str, Any],
    databases: dict[str, Any],
    counter: Callable[[], int],
    log: Path,
    app: Mapping[str, Any] = {},
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Serve the site, drive it, and return (figures, what the server said).

    figures: reads and writes (requests answered 200 a second), errors and
    lost writes, one sample per repeat. counter() reads the counter row from
    the database, outside the server. app: the site's "profile", its uvicorn
    "workers", and the "sessions" (keys) the clients send, one each.
    """
    port = free_port()
    profile, workers = app.get("profile", "plain"), int(app.get("workers", 1))
    sessions = list(app.get("sessions", ())) if profile == "sessions" else []
    server = start_server(databases, port, log, profile, workers)
    figures: dict[str, list[float]] = {
        "reads": [],
        "writes": [],
        "errors": [],
        "lost": [],
    }
    about: dict[str, Any] = {}
    clients, seconds = sizes["app_clients"], sizes["app_seconds"]
    reads = read_paths(sizes["table_rows"], 997)

    async def drive() -> None:
        await wait_ready(port, server, 60)
        status, probe = await get_json(port, "/probe")
        if status != 200:
            raise RuntimeError(f"the server's probe answered {status}")
        about["probe"] = probe
        await phase(port, reads, clients, sizes["app_warmup"], sessions)
        statuses: dict[int, int] = {}
        failures: dict[str, int] = {}
        for _ in range(sizes["app_repeat"]):
            rate, read_tally = await phase(port, reads, clients, seconds, sessions)
            # The sync ORM, off the loop: counter() reads in a thread.
            before = await asyncio.to_thread(counter)
            wrate, write_tally = await phase(
                port, WRITE_PATHS, clients, seconds, sessions
            )
            after = await asyncio.to_thread(counter)
            figures["reads"].append(rate)
            figures["writes"].append(wrate)
            figures["errors"].append(float(read_tally.errors + write_tally.errors))
            figures["lost"].append(float(lost_writes(write_tally.ok, before, after)))
            for t in (read_tally, write_tally):
                for k, v in t.statuses.items():
                    statuses[k] = statuses.get(k, 0) + v
                for k, v in t.failures.items():
                    failures[k] = failures.get(k, 0) + v
        about["statuses"] = {str(k): v for k, v in statuses.items()}
        about["failures"] = failures

    try:
        asyncio.run(drive())
    finally:
        stop_server(server)
    about["server_exit"] = server.returncode
    return figures, about
