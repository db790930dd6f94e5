import asyncio
import itertools

import pytest

from benchmarks import loadgen


def test_parse_head_with_a_length():
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nServer: x\r\n\r\n"
    assert loadgen.parse_head(head) == (200, 12, True)


def test_parse_head_chunked_and_closing():
    head = (
        b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n"
    )
    assert loadgen.parse_head(head) == (404, None, False)


def test_parse_head_http_1_0_does_not_keep_alive():
    assert loadgen.parse_head(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n") == (
        200,
        0,
        False,
    )


@pytest.mark.parametrize(
    "head",
    [b"SSH-2.0-OpenSSH\r\n\r\n", b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\n"],
)
def test_parse_head_refuses_what_it_cannot_read(head):
    with pytest.raises(ValueError):
        loadgen.parse_head(head)


def test_chunk_size_is_hexadecimal_and_ignores_extensions():
    assert loadgen.chunk_size(b"1a\r\n") == 26
    assert loadgen.chunk_size(b"0;name=value\r\n") == 0


def feed(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


def test_read_body_of_chunks_and_of_a_length():
    async def go():
        chunked = feed(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT")
        assert await loadgen.read_body(chunked, None) == b"hello world"
        assert await chunked.read() == b"NEXT"  # the next response is left
        assert await loadgen.read_body(feed(b"abcdef"), 3) == b"abc"

    asyncio.run(go())


def test_read_paths_alternate_a_row_and_a_page():
    paths = loadgen.read_paths(1000, 6)
    assert [p[1].split("/")[1] for p in paths] == ["item", "items"] * 3
    assert all(method == "GET" for method, _ in paths)
    pks = [int(p.rsplit("/", 1)[1]) for _, p in paths[::2]]
    assert all(1 <= pk <= 1000 for pk in pks)
    assert len(set(pks)) == len(pks)


def test_request_is_http_1_1_without_body():
    assert loadgen.request("POST", "/bump/1") == (
        b"POST /bump/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
    )


def test_lost_writes_are_answers_the_counter_does_not_show():
    assert loadgen.lost_writes(answered=100, before=5, after=105) == 0
    assert loadgen.lost_writes(answered=100, before=5, after=95) == 10


def test_tally_counts_errors_by_status_and_by_failure():
    a, b = loadgen.Tally(), loadgen.Tally()
    a.answered(200)
    a.answered(500)
    b.answered(500)
    b.failed(ConnectionResetError())
    a.merge(b)
    assert (a.ok, a.errors) == (1, 3)
    assert a.statuses == {500: 2}
    assert a.failures == {"ConnectionResetError": 1}


def test_a_phase_against_a_tiny_server_counts_answers_and_errors():
    answers = itertools.cycle([b"200 OK", b"500 Oops"])

    async def handle(reader, writer):
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                status = next(answers)
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"2\r\nok\r\n0\r\n\r\n"
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def go():
        server = await asyncio.start_server(handle, loadgen.HOST, 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            rate, tally = await loadgen.phase(port, [("GET", "/")], 1, 0.2)
        return rate, tally

    rate, tally = asyncio.run(go())
    assert tally.ok > 0 and rate > 0
    assert abs(tally.ok - tally.statuses[500]) <= 1
    assert tally.failures == {}


def test_a_phase_counts_a_refused_connection_as_an_error():
    async def go():
        return await loadgen.phase(loadgen.free_port(), [("GET", "/")], 2, 0.05)

    rate, tally = asyncio.run(go())
    assert rate == 0 and tally.ok == 0
    assert tally.errors >= 2 and set(tally.failures) == {"ConnectionRefusedError"}


def test_a_request_carries_the_session_cookie_when_it_has_one():
    from benchmarks import loadgen

    plain = loadgen.request("GET", "/item/1")
    assert b"Cookie" not in plain
    signed = loadgen.request("GET", "/item/1", "abc")
    assert b"\r\nCookie: sessionid=abc\r\n" in signed
    assert signed.endswith(b"Content-Length: 0\r\n\r\n")


def test_clients_take_the_sessions_in_turn():
    from benchmarks import loadgen

    assert loadgen.session_of([], 3) is None
    assert [loadgen.session_of(["a", "b"], n) for n in range(3)] == ["a", "b", "a"]
