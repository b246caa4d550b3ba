"""Each step of sequential new connections (loadgen.py ttfb) through TunnelActors, from `tcpdump -tt -n -i lo` text.

The OPEN from `access tcp` is told apart by its size (it carries the credential: 200 bytes or more), the OPEN the
edge sends the connector by being the first packet of 100 bytes or more to a connection other than the carrier's.
Prints the median of each step over the connections that show every step.
usage: ttfb_steps.py DUMP ACCESS_PORT EDGE_PORT SERVICE_PORT
"""
import re
import statistics
import sys

dump, access, edge, service = sys.argv[1:5]
packet = re.compile(r'^(\d+\.\d+) IP 127\.0\.0\.1\.(\d+) > 127\.0\.0\.1\.(\d+): Flags \[([^\]]*)\].*length (\d+)')
steps = ["client's SYN", "access OPEN out", "edge OPEN out", "connector SYN out", "connector data out", "service reply", "reply to client"]
connections, current, carrier = [], None, None
for match in map(packet.match, open(dump)):
    if not match:
        continue
    t, src, dst, flags, length = float(match[1]), match[2], match[3], match[4], int(match[5])
    if dst == access and flags == 'S':
        current = {steps[0]: t}
        connections.append(current)
        continue
    if current is None:
        continue
    step = None
    if dst == edge and length >= 200:
        step, carrier = steps[1], src
    elif src == edge and dst != carrier and length >= 100 and steps[1] in current:
        step = steps[2]
    elif dst == service:
        step = steps[3] if flags == 'S' else steps[4] if length > 0 else None
    elif src == service and length > 0:
        step = steps[5]
    elif src == access and length > 0:
        step = steps[6]
    if step:
        current.setdefault(step, t)

complete = [c for c in connections if all(s in c for s in steps)]
print(f"{len(complete)} of {len(connections)} connections show every step (medians, µs)")
for before, after in zip(steps, steps[1:]):
    print(f"  {before:>20} -> {after:<20} {statistics.median((c[after] - c[before]) * 1e6 for c in complete):6.0f}")
print(f"  {'total':>44} {statistics.median((c[steps[-1]] - c[steps[0]]) * 1e6 for c in complete):6.0f}")
