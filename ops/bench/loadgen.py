#!/usr/bin/env python3
"""Load generators for ops/bench/run.sh: all talk to a TCP echo service through a path.

  loadgen.py echo-server PORT                      a threaded echo service
  loadgen.py pingpong PORT N                       64-byte ping-pong over one connection: p50/p99 in µs
  loadgen.py ttfb PORT N                           new connection + 1-byte echo: median µs
  loadgen.py streams PORT COUNT BYTES              COUNT concurrent echo streams of BYTES each:
                                                   aggregate MB/s and slowest stream's share
  loadgen.py idle PORT COUNT READY_FILE HOLD_S     COUNT connections, one byte echoed on each, then
                                                   silent: writes READY_FILE once all are open, holds
                                                   them HOLD_S seconds, closes them
  loadgen.py blackhole PORT TARGET CONTROL_FILE    a relay to TARGET: once CONTROL_FILE exists, the
                                                   connections open before it forward nothing (and
                                                   stay open), as after a network change; new ones pass
  loadgen.py recover PORT TIMEOUT_S                new connection + 1-byte echo (1 s each) until one
                                                   succeeds: seconds it took
Every result is one JSON line on stdout.
"""
import asyncio, json, socket, statistics, sys, threading, time


def echo_server(port):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(4096)

    def serve(conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn:
            while True:
                data = conn.recv(262144)
                if not data:
                    break
                conn.sendall(data)
            try:
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def recv_exact(sock, n):
    got = b""
    while len(got) < n:
        chunk = sock.recv(n - len(got))
        if not chunk:
            raise EOFError("peer closed")
        got += chunk
    return got


def pingpong(port, n):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg = b"x" * 64
    for _ in range(50):  # warm-up
        s.sendall(msg); recv_exact(s, 64)
    rtts = []
    for _ in range(n):
        t = time.perf_counter_ns(); s.sendall(msg); recv_exact(s, 64); rtts.append((time.perf_counter_ns() - t) / 1000)
    s.close()
    rtts.sort()
    return {"p50_us": rtts[len(rtts) // 2], "p99_us": rtts[int(len(rtts) * 0.99)]}


def ttfb(port, n):
    times = []
    for _ in range(n):
        t = time.perf_counter_ns()
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(b"!"); recv_exact(s, 1)
        times.append((time.perf_counter_ns() - t) / 1000)
        s.close()
    return {"median_us": statistics.median(times)}


def blackhole(port, target, control):
    import os
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1024)

    def pump(src, dst, born):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if os.path.exists(control) and os.path.getmtime(control) >= born:
                    continue  # dropped: this path is gone
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    while True:
        conn, _ = srv.accept()
        born = time.time()
        up = socket.create_connection(("127.0.0.1", target))
        for a, b in ((conn, up), (up, conn)):
            a.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=pump, args=(a, b, born), daemon=True).start()


def recover(port, timeout):
    start = time.perf_counter()
    attempts = 0
    while time.perf_counter() - start < timeout:
        attempts += 1
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.settimeout(1)
                s.sendall(b"!"); recv_exact(s, 1)
                return {"recovered_s": time.perf_counter() - start, "attempts": attempts}
        except (OSError, EOFError):
            time.sleep(0.05)
    return {"recovered_s": None, "attempts": attempts}


async def one_stream(port, nbytes):
    """Returns (bytes echoed back, seconds); a stream the path refused or reset counts what it got."""
    start = time.perf_counter()
    try:
        return await echo_stream(port, nbytes)
    except (ConnectionError, OSError):
        return 0, time.perf_counter() - start


async def echo_stream(port, nbytes):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    chunk = b"y" * 65536
    start = time.perf_counter()

    async def send():
        left = nbytes
        while left > 0:
            writer.write(chunk[: min(left, len(chunk))]); left -= min(left, len(chunk))
            await writer.drain()
        writer.write_eof()

    async def receive():
        got = 0
        while got < nbytes:
            data = await reader.read(1 << 20)
            if not data:
                break
            got += len(data)
        return got

    sender = asyncio.create_task(send())
    got = await receive()
    await sender
    writer.close()
    return got, time.perf_counter() - start


async def streams(port, count, nbytes):
    start = time.perf_counter()
    results = await asyncio.gather(*(one_stream(port, nbytes) for _ in range(count)))
    elapsed = time.perf_counter() - start
    complete = sum(1 for got, _ in results if got == nbytes)
    rates = [got / secs for got, secs in results]
    fair = min(rates) / (sum(rates) / len(rates)) if sum(rates) else 0.0
    return {"aggregate_MBps": sum(got for got, _ in results) / elapsed / 1e6, "slowest_share": fair, "complete": complete, "count": count}


async def idle(port, count, ready_file, hold):
    """Opens COUNT idle echo connections (64 at a time), each after one byte echoed; holds, then closes them."""
    conns, failed = [], 0
    sem = asyncio.Semaphore(64)

    async def open_one():
        nonlocal failed
        async with sem:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"!"); await writer.drain()
                if await asyncio.wait_for(reader.readexactly(1), 30) != b"!":
                    raise ConnectionError("wrong echo")
                conns.append(writer)
            except (ConnectionError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                failed += 1

    start = time.perf_counter()
    await asyncio.gather(*(open_one() for _ in range(count)))
    opened = time.perf_counter() - start
    with open(ready_file, "w") as f:
        f.write(json.dumps({"open": len(conns), "failed": failed, "seconds": opened}))
    await asyncio.sleep(hold)
    for writer in conns:
        writer.close()
    return {"open": len(conns), "failed": failed, "open_seconds": opened}


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "echo-server":
        echo_server(port)
    elif mode == "pingpong":
        print(json.dumps(pingpong(port, int(sys.argv[3]))))
    elif mode == "ttfb":
        print(json.dumps(ttfb(port, int(sys.argv[3]))))
    elif mode == "idle":
        print(json.dumps(asyncio.run(idle(port, int(sys.argv[3]), sys.argv[4], float(sys.argv[5])))))
    elif mode == "blackhole":
        blackhole(port, int(sys.argv[3]), sys.argv[4])
    elif mode == "recover":
        print(json.dumps(recover(port, float(sys.argv[3]))))
    elif mode == "streams":
        print(json.dumps(asyncio.run(streams(port, int(sys.argv[3]), int(sys.argv[4])))))


if __name__ == "__main__":
    main()
