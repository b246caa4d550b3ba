"""Chaos driver for ops/chaos/run.sh: see that script for what it does."""
import argparse, hashlib, json, os, random, shutil, signal, socket, ssl, subprocess, sys, tempfile, threading, time, urllib.error, urllib.parse, urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.environ["TUNNELACTORS_CLI"]
HOST = "smb.site.test"
ENTITY_WINDOW = 30  # seconds after a fault's traffic window within which exactly one tunnel entity must run again


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise TimeoutError(what)


class Proc:
    """A tunnelactors process with its output in a log file."""

    def __init__(self, name, args, workdir, env=None):
        self.name, self.args, self.workdir, self.env = name, args, workdir, env
        self.log = os.path.join(workdir, f"{name}.log")
        self.p = None

    def start(self):
        out = open(self.log, "a")
        self.p = subprocess.Popen(["dotnet", CLI] + self.args, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT,
                                  env={**os.environ, **(self.env or {})}, start_new_session=True)
        return self

    def signal(self, sig):
        if self.p and self.p.poll() is None:
            os.killpg(self.p.pid, sig)

    def wait(self, timeout):
        return self.p.wait(timeout)


class Edge:
    def __init__(self, i, work, db, cluster_ports, detector):
        self.i, self.port, self.cluster_port = i, free_port(), cluster_ports[i]
        self.dir = os.path.join(work, f"edge{i}")
        os.makedirs(self.dir)
        self.url = f"https://127.0.0.1:{self.port}"
        # All edges are seeds: a restarted first seed rejoins the others instead of founding an island.
        seeds = sum((["--seed-node", f"akka.tcp://tunnelactors@127.0.0.1:{p}"] for p in cluster_ports), [])
        self.proc = Proc(f"edge{i}", ["edge", "--listen", self.url, "--data-dir", self.dir, "--database", db,
                                      "--cluster-port", str(self.cluster_port), *seeds,
                                      "--failure-detector-pause", detector[0], "--down-unreachable-after", detector[1],
                                      "--grace-period", "20s"], work)

    def ctx(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "edge-ca.pem"))
        return ctx

    def api(self, method, path):
        token = open(os.path.join(self.dir, "admin-token")).read().strip()
        req = urllib.request.Request(self.url + path, method=method, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, context=self.ctx(), timeout=10) as r:
            return json.loads(r.read() or b"null")

    def ready(self):
        try:
            with urllib.request.urlopen(self.url + "/ready", context=self.ctx(), timeout=2) as r:
                return r.status == 200
        except Exception:
            return False

    def start(self):
        self.proc.start()
        wait_until(lambda: os.path.exists(os.path.join(self.dir, "edge-ca.pem")) and self.ready(), 90, f"edge{self.i} not ready (see {self.proc.log})")


class Loop(threading.Thread):
    """smbclient put then get of a fresh random file, again and again; records every attempt."""

    def __init__(self, work, port, user, password, size):
        super().__init__(daemon=True)
        self.work, self.port, self.user, self.password, self.size = work, port, user, password, size
        self.records = []  # (start, end, ok, corrupt, error)
        self.stop = threading.Event()

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            src = os.path.join(self.work, f"up-{n}.bin")
            dst = os.path.join(self.work, f"down-{n}.bin")
            data = os.urandom(self.size)
            with open(src, "wb") as f:
                f.write(data)
            start = time.time()
            cmd = ["smbclient", "//127.0.0.1/share", "-p", str(self.port), "-U", f"{self.user}%{self.password}", "-m", "SMB3",
                   "-t", "15", "-c", f"put {src} f{n}.bin; get f{n}.bin {dst}; del f{n}.bin"]
            try:
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
                ok = r.returncode == 0 and os.path.exists(dst) and "NT_STATUS" not in r.stdout + r.stderr
                corrupt = ok and hashlib.sha256(open(dst, "rb").read()).digest() != hashlib.sha256(data).digest()
                err = "" if ok else (r.stdout + r.stderr).strip().splitlines()[-1:] or ["?"]
            except subprocess.TimeoutExpired:
                ok, corrupt, err = False, False, ["timeout"]
            self.records.append((start, time.time(), ok and not corrupt, corrupt, err if isinstance(err, str) else err[0]))
            for p in (src, dst):
                if os.path.exists(p):
                    os.remove(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--settle", type=float, default=20, help="seconds of traffic after each fault")
    ap.add_argument("--smoke", action="store_true", help="short windows")
    ap.add_argument("--size-mib", type=float, default=4)
    args = ap.parse_args()
    settle = 6 if args.smoke else args.settle
    work = tempfile.mkdtemp(prefix="tunnelactors-chaos-", dir="/tmp")
    os.chmod(work, 0o711)
    procs, edges = [], []
    pg_dir, smb_dir = os.path.join(work, "pg"), os.path.join(work, "smb")
    try:
        db = subprocess.run(["bash", f"{ROOT}/tests/fixtures/postgres/start-postgres.sh", pg_dir, str(free_port())],
                            check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        smb_port, smb_user, smb_pass = free_port(), "chaostest", os.urandom(8).hex()
        subprocess.run(["bash", f"{ROOT}/tests/fixtures/samba/start-smbd.sh", smb_dir, str(smb_port), smb_user, smb_pass], check=True, capture_output=True)
        cluster_ports = [free_port() for _ in range(3)]
        detector = ("2s", "3s")
        for i in range(3):
            edges.append(Edge(i, work, db, cluster_ports, detector))
            edges[-1].start()
        edge_args = sum((["--edge", e.url] for e in edges), [])
        ca = os.path.join(edges[0].dir, "edge-ca.pem")
        connectors = []
        for replica in ("replica-a", "replica-b"):
            c = Proc(replica, ["tunnel", "--hostname", HOST, "--url", f"tcp://127.0.0.1:{smb_port}", *edge_args, "--ca-file", ca,
                               "--origincert", os.path.join(edges[0].dir, "cert.pem"), "--ha-connections", "3", "--replica-id", replica], work)
            connectors.append(c.start())
        wait_until(lambda: len(connections(edges)) >= 6, 60, "connectors did not register 6 connections")
        token = json.load(open(os.path.join(edges[0].dir, "service-token.json")))
        access_port = free_port()
        access = Proc("access", ["access", "tcp", "--hostname", HOST, "--url", f"127.0.0.1:{access_port}", *edge_args, "--ca-file", ca, "--no-browser"],
                      work, {"TUNNEL_SERVICE_TOKEN_ID": token["client_id"], "TUNNEL_SERVICE_TOKEN_SECRET": token["client_secret"]}).start()
        procs = [*connectors, access]
        wait_until(lambda: socket.create_connection(("127.0.0.1", access_port), 1).close() or True, 30, "access tcp not listening")

        loop = Loop(work, access_port, smb_user, smb_pass, int(args.size_mib * 1024 * 1024))
        loop.start()
        time.sleep(settle)
        faults = []

        single = {}  # fault -> seconds after its window until the cluster held exactly one copy of the tunnel's entity, or None

        def fault(name, action):
            print(f"--- {name}", flush=True)
            faults.append((name, time.time()))
            action()  # raises FaultNotInjected when the fault did not take effect: the run fails
            time.sleep(settle)
            # A node that died with the entity leaves none until it is downed (detection + stable-after); a second
            # copy is never right. Either way the cluster must be back to one within ENTITY_WINDOW.
            since, copies = time.time(), entity_copies(edges)
            while copies != 1 and time.time() - since < ENTITY_WINDOW:
                time.sleep(0.5)
                copies = entity_copies(edges)
            single[name] = time.time() - since if copies == 1 else None
            print(f"    {copies} cop{'y' if copies == 1 else 'ies'} of the tunnel entity cluster-wide", flush=True)

        def restart_edge(e, sig):
            e.proc.signal(sig)
            e.proc.wait(60)
            e.start()

        fault("SIGKILL edge0 (seed, shard coordinator)", lambda: edges[0].proc.signal(signal.SIGKILL))
        fault("restart edge0", edges[0].start)
        fault("SIGKILL connector replica-a", lambda: connectors[0].signal(signal.SIGKILL))
        fault("restart connector replica-a", connectors[0].start)
        def drop_two():
            ids = connections(edges)
            print(f"    {len(ids)} live connections; closing 2", flush=True)
            if len(ids) < 2:
                raise FaultNotInjected(f"only {len(ids)} connections listed")
            closed = random.sample(ids, 2)
            for c in closed:
                try:
                    edges[1].api("POST", f"/api/connections/{c}/close?reason=chaos")
                except urllib.error.HTTPError as error:
                    raise FaultNotInjected(f"closing {c}: {error}")
            # Taken effect: neither is listed any more (their connectors dial new ones with new ids).
            wait_until(lambda: not set(closed) & set(connections(edges)), 10, "the closed connections are still listed")
        fault("drop 2 random connector WebSockets", drop_two)
        def close_stream():
            # One stream actor ended through the admin API (a transfer in flight, if the loop has one).
            for _ in range(30):
                live = [s for s in streams(edges) if s["kind"] == "client"]
                if live:
                    break
                time.sleep(0.1)
            print(f"    {len(live)} live streams; closing 1", flush=True)
            if not live:
                raise FaultNotInjected("no live stream to close")
            target = random.choice(live)["streamId"]
            try:
                edges[1].api("POST", f"/api/streams/{urllib.parse.quote(target, safe='')}/close?reason=chaos")
            except urllib.error.HTTPError as error:
                if error.code != 404:
                    raise FaultNotInjected(f"closing {target}: {error}")
                print(f"    {target} ended on its own before the close", flush=True)  # a short transfer may finish first
            wait_until(lambda: target not in [x["streamId"] for x in streams(edges)], 10, f"stream {target} is still listed")
        fault("close 1 random stream through the admin API", close_stream)
        fault("SIGKILL edge1", lambda: edges[1].proc.signal(signal.SIGKILL))
        fault("restart edge1", edges[1].start)
        fault("rolling restart (SIGTERM) of edge0, edge1, edge2", lambda: [restart_edge(e, signal.SIGTERM) for e in edges])
        loop.stop.set()
        loop.join(90)
        report(loop.records, faults, single)
        duplicated = [name for name, after in single.items() if after is None]
        if duplicated:
            print(f"FAIL: not exactly one tunnel entity within {ENTITY_WINDOW} s after: {'; '.join(duplicated)}")
        return 1 if any(r[3] for r in loop.records) or duplicated else 0
    except FaultNotInjected as error:
        print(f"FAIL: a fault did not take effect: {error}")
        return 1
    finally:
        for p in procs + [e.proc for e in edges]:
            p.signal(signal.SIGKILL)
        subprocess.run(["bash", f"{ROOT}/tests/fixtures/samba/stop-smbd.sh", smb_dir], capture_output=True)
        subprocess.run(["bash", f"{ROOT}/tests/fixtures/postgres/stop-postgres.sh", pg_dir], capture_output=True)
        if os.environ.get("CHAOS_KEEP"):
            print(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


class FaultNotInjected(Exception):
    """A fault that did not happen must not be reported as recovered from."""


def first_answer(edges, path, read, otherwise):
    """read(edge, answer) of the first edge whose admin API answers GET path (edges may be down mid-fault)."""
    for e in edges:
        try:
            return read(e, e.api("GET", path))
        except Exception as error:
            print(f"    edge{e.i} admin API: {error}", flush=True)
    return otherwise


def entity_copies(edges):
    """How many edges host the tunnel's sharded entity, as the first edge that answers sees the cluster."""
    def count(e, cluster):
        members = cluster["members"]
        hosting = [m["address"] for m in members if HOST in m["tunnels"]]
        if len(hosting) != 1:
            print(f"    edge{e.i} sees the entity on {hosting or 'no member'}; members: {[(m['address'], m['status'], m['reachable']) for m in members]}", flush=True)
        return len(hosting)
    return first_answer(edges, "/api/cluster", count, -1)


def connections(edges):
    """Ids of the tunnel's live connections, as the first edge that answers lists them."""
    def ids(e, answer):
        if os.environ.get("CHAOS_DEBUG"):
            print(f"    edge{e.i} lists {json.dumps(answer['tunnels'])[:600]}", flush=True)
        return sorted({c["id"] for t in answer["tunnels"] if t["tunnel"] == HOST for c in t["connections"]})
    return first_answer(edges, "/api/tunnels", ids, [])


def streams(edges):
    """Every stream actor of the cluster, as the first edge that answers lists them."""
    return first_answer(edges, "/api/streams", lambda e, answer: answer["streams"], [])


def report(records, faults, single):
    # A transfer belongs to the last fault before it ended: the one that could have broken it.
    print("\n| fault | new transfers succeed again after | failed transfers in its window | one tunnel entity again after the window |")
    print("|---|---|---|---|")
    bounds = [t for _, t in faults] + [float("inf")]
    for (name, at), end in zip(faults, bounds[1:]):
        window = [r for r in records if at <= r[1] < end]
        first_ok = min((r[0] for r in records if r[0] >= at and r[2]), default=None)
        recovered = "never" if first_ok is None else f"{max(0.0, first_ok - at):.2f} s"
        after = single.get(name)
        entity = "never" if after is None else f"{after:.1f} s"
        print(f"| {name} | {recovered} | {sum(1 for r in window if not r[2])} of {len(window)} | {entity} |")
    total, failed = len(records), sum(1 for r in records if not r[2])
    corrupt = sum(1 for r in records if r[3])
    print(f"\ntransfers: {total}, failed: {failed} ({100.0 * failed / max(total, 1):.1f} %), "
          f"completed and sha256-identical: {total - failed}, corrupt: {corrupt}")
    errors = sorted({r[4] for r in records if not r[2]})
    if errors:
        print("failure reasons seen: " + "; ".join(errors[:8]))


if __name__ == "__main__":
    sys.exit(main())
