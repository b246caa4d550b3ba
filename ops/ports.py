"""Free TCP ports for the scripts that start servers (ops/bench, ops/chaos).

A port below the kernel's ephemeral range: one the kernel picks for port 0 may become an outgoing connection's
source port before the server binds it (an edge binds its port again after every restart).
"""
import random
import socket
import sys


def free_port(taken):
    """A port free now and not in `taken`, which it joins (each port is handed out once)."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
    for _ in range(1000):
        port = random.randrange(low // 2, low)
        if port in taken:
            continue
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        break
    else:  # nothing free below the range: the kernel picks
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    taken.add(port)
    return port


if __name__ == "__main__":  # ops/ports.py FILE: prints one port; FILE lists those handed out by earlier calls
    with open(sys.argv[1], "a+") as handed:
        handed.seek(0)
        port = free_port({int(p) for p in handed.read().split()})
        handed.write(f"{port}\n")
    print(port)
