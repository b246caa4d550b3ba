"""Chaos driver for ops/chaos/run.sh: see that script for what it does."""
import argparse, hashlib, json, os, random, shutil, signal, socket, ssl, subprocess, sys, tempfile, threading, time, urllib.error, urllib.parse, urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.environ["TUNNELACTORS_CLI"]
HOST = "smb.site.test"
# Seconds after a fault's traffic window within which exactly one tunnel entity must run again: a node that died
# with the entity leaves none until the majority downs it (3 s detection + 15 s down-unreachable-after) and
# sharding starts it elsewhere.
ENTITY_WINDOW = 45


sys.path.insert(0, os.path.join(ROOT, "ops"))
import ports  # noqa: E402 (after the path it lives on)

_handed_out = set()


def free_port():
    return ports.free_port(_handed_out)


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

    def __init__(self, name, args, workdir, env=None, prefix=()):
        self.name, self.args, self.workdir, self.env, self.prefix = name, args, workdir, env, list(prefix)
        self.log = os.path.join(workdir, f"{name}.log")
        self.p = None

    def start(self):
        out = open(self.log, "a")
        self.p = subprocess.Popen(self.prefix + ["dotnet", CLI] + self.args, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT,
                                  env={**os.environ, **(self.env or {})}, start_new_session=True)
        return self

    def signal(self, sig):
        if self.p and self.p.poll() is None:
            os.killpg(self.p.pid, sig)

    def wait(self, timeout):
        return self.p.wait(timeout)

    def exited(self):
        return self.p is not None and self.p.poll() is not None


class Edge:
    def __init__(self, i, work, db, cluster_ports, net):
        self.i, self.port, self.cluster_port = i, free_port(), cluster_ports[i]
        self.dir = os.path.join(work, f"edge{i}")
        os.makedirs(self.dir)
        self.host = net.address(i) if net else "127.0.0.1"
        self.url = f"https://{self.host}:{self.port}"
        # All edges are seeds; the first founds the cluster only when no other edge served lately (never an island).
        seeds = sum((["--seed-node", f"akka.tcp://tunnelactors@{net.address(j) if net else '127.0.0.1'}:{p}"] for j, p in enumerate(cluster_ports)), [])
        # The product's default failure detector and split-brain resolver settings: no tuning for the test.
        self.proc = Proc(f"edge{i}", ["edge", "--listen", self.url, "--data-dir", self.dir, "--database", db,
                                      "--cluster-host", self.host, "--cluster-port", str(self.cluster_port), *seeds,
                                      "--grace-period", "20s"], work, prefix=net.exec(i) if net else ())
        self.supervised = True  # restarted when it exits, as the unit's Restart=always does
        self.exits = []

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

    def start(self, wait=True):
        self.proc.start()
        self.supervised = True
        if wait:
            wait_until(lambda: os.path.exists(os.path.join(self.dir, "edge-ca.pem")) and self.ready(), 90, f"edge{self.i} not ready (see {self.proc.log})")

    def ready_status(self):
        """/ready's status word, or None when the edge does not answer."""
        try:
            with urllib.request.urlopen(self.url + "/ready", context=self.ctx(), timeout=1) as r:
                return json.loads(r.read())["status"]
        except urllib.error.HTTPError as error:
            return json.loads(error.read() or b"{}").get("status", str(error.code))
        except Exception:
            return None


class Net:
    """
    Each edge in a network namespace of its own (made here, removed at the end): one address
    10.77.0.(10+i) on its loopback, reached by this namespace (clients, connectors, PostgreSQL on
    10.78.0.1) over one veth pair and by every other edge over a veth pair per pair of edges. Taking
    a pair's link down partitions those two edges, and nothing else; anything sent across meets a
    blackhole route (dropped, nothing closed). Taking an edge's own link down black-holes the
    clients' and connectors' path to it.
    """

    HOST = "10.78.0.1"

    def __init__(self, n, tag):
        self.n, self.tag = n, tag
        self.up = False

    def ns(self, i):
        return f"{self.tag}-e{i}"

    def address(self, i):
        return f"10.77.0.{10 + i}"

    def exec(self, i):
        return ["ip", "netns", "exec", self.ns(i)]

    def pair(self, i, j):
        return f"{self.tag}{i}{j}"

    def root_link(self, i):
        return f"{self.tag}{i}r"

    @staticmethod
    def ip(*args):
        subprocess.run(["ip", *args], check=True, capture_output=True, text=True)

    def setup(self):
        for i in range(self.n):
            ns, a = self.ns(i), self.address(i)
            self.ip("netns", "add", ns)
            self.up = True
            self.ip("-n", ns, "link", "set", "lo", "up")
            self.ip("-n", ns, "addr", "add", f"{a}/32", "dev", "lo")
            self.ip("link", "add", self.root_link(i), "type", "veth", "peer", "name", "up0", "netns", ns)
            self.ip("addr", "add", f"{self.HOST}/32", "dev", self.root_link(i))
            self.ip("-n", ns, "route", "add", "blackhole", "10.77.0.0/24")
            self.connect_root(i)
        # Here too: with an edge's link down, what is sent to it is dropped, not routed elsewhere or refused.
        self.ip("route", "replace", "blackhole", "10.77.0.0/24")
        for i in range(self.n):
            for j in range(i + 1, self.n):
                self.ip("link", "add", self.pair(i, j), "netns", self.ns(i), "type", "veth", "peer", "name", self.pair(j, i), "netns", self.ns(j))
                self.link(i, j, True)

    def connect_root(self, i):
        self.ip("link", "set", self.root_link(i), "up")
        self.ip("-n", self.ns(i), "link", "set", "up0", "up")
        self.ip("route", "replace", f"{self.address(i)}/32", "dev", self.root_link(i), "src", self.HOST)
        self.ip("-n", self.ns(i), "route", "replace", f"{self.HOST}/32", "dev", "up0")

    def black_hole_root(self, i, on):
        """The clients' and connectors' path to edge i stops forwarding (its link is down; nothing is closed)."""
        if on:
            self.ip("link", "set", self.root_link(i), "down")
        else:
            self.connect_root(i)

    def link(self, i, j, up):
        """The link between edges i and j up (with its routes) or down (what crosses it meets the blackhole route)."""
        for a, b in ((i, j), (j, i)):
            self.ip("-n", self.ns(a), "link", "set", self.pair(a, b), "up" if up else "down")
        if up:
            for a, b in ((i, j), (j, i)):
                self.ip("-n", self.ns(a), "route", "replace", f"{self.address(b)}/32", "dev", self.pair(a, b))

    def teardown(self):
        subprocess.run(["ip", "route", "del", "blackhole", "10.77.0.0/24"], capture_output=True)
        for i in range(self.n):
            subprocess.run(["ip", "netns", "del", self.ns(i)], capture_output=True)
        for i in range(self.n):
            subprocess.run(["ip", "link", "del", self.root_link(i)], capture_output=True)


def make_net(n):
    """The namespaces, or None (with the reason printed) where this process may not make them."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        print("partition faults not run: making network namespaces needs root and iproute2", flush=True)
        return None
    net = Net(n, f"ta{os.getpid() % 1000}")
    try:
        net.setup()
        return net
    except subprocess.CalledProcessError as error:
        print(f"partition faults not run: {' '.join(error.cmd)}: {error.stderr.strip()}", flush=True)
        net.teardown()
        return None


class Supervisor(threading.Thread):
    """Starts an edge again when it exits (after 1 s), as its unit's Restart=always does: an edge the cluster downed comes back by itself."""

    def __init__(self, edges):
        super().__init__(daemon=True)
        self.edges, self.stop = edges, threading.Event()

    def run(self):
        while not self.stop.wait(0.5):
            for e in self.edges:
                if self.stop.is_set():
                    return
                if e.supervised and e.proc.exited():
                    code = e.proc.p.returncode
                    e.exits.append((time.time(), code))
                    print(f"    edge{e.i} exited with status {code}; restarted in 1 s, as Restart=always would", flush=True)
                    if not self.stop.wait(1):
                        e.start(wait=False)


SMB2_NEGOTIATE = bytes.fromhex("000000 68".replace(" ", "")) + b"\xfeSMB" + (64).to_bytes(2, "little") + bytes(58) + \
    (36).to_bytes(2, "little") + (2).to_bytes(2, "little") + (1).to_bytes(2, "little") + bytes(2) + bytes(4) + os.urandom(16) + bytes(8) + \
    (0x0202).to_bytes(2, "little") + (0x0210).to_bytes(2, "little")


class Probe(threading.Thread):
    """
    A new connection through `access tcp` every 0.25 s, each on its own thread (one that hangs does not delay
    the next): an SMB2 NEGOTIATE that Samba must answer within 3 s.
    """

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.records, self.stop = port, [], threading.Event()  # records: (start, end, ok)
        self.lock = threading.Lock()

    def once(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), 3) as c:
                c.settimeout(3)
                c.sendall(SMB2_NEGOTIATE)
                answer = b""
                while len(answer) < 8:
                    chunk = c.recv(64)
                    if not chunk:
                        break
                    answer += chunk
                return answer[4:8] == b"\xfeSMB"
        except OSError:
            return False

    def attempt(self):
        start = time.time()
        ok = self.once()
        with self.lock:
            self.records.append((start, time.time(), ok))

    def run(self):
        while not self.stop.wait(0.25):
            threading.Thread(target=self.attempt, daemon=True).start()

    def recovered_after(self, since, until):
        """Seconds from `since` until new connections succeeded for good (within `until`); 0 if none failed; None if never."""
        # Probes that ended after `until` belong to whatever happened then (the next fault).
        with self.lock:
            window = sorted((t, ok) for t, end, ok in self.records if since <= t and end < until)
        failed = [t for t, ok in window if not ok]
        if not window:
            return None  # nothing measured is not a recovery
        if not failed:
            return 0.0
        after = [t for t, ok in window if ok and t > failed[-1]]
        return after[0] - since if after else None


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


class Rig:
    """Everything a run starts — namespaces, PostgreSQL, Samba, three edges with their supervisor, two connector
    replicas and `access tcp` — and stops again, whole, however far the start got."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="tunnelactors-chaos-", dir="/tmp")
        os.chmod(self.work, 0o711)
        self.procs, self.edges, self.net, self.supervisor = [], [], None, None
        self.pg_dir, self.smb_dir = os.path.join(self.work, "pg"), os.path.join(self.work, "smb")

    def start(self):
        work = self.work
        self.net = net = make_net(3)
        pg_env = {**os.environ, "PG_EXTRA_LISTEN": Net.HOST, "PG_EXTRA_CLIENTS": "10.77.0.0/24"} if net else None
        db = subprocess.run(["bash", f"{ROOT}/tests/fixtures/postgres/start-postgres.sh", self.pg_dir, str(free_port())],
                            check=True, capture_output=True, text=True, env=pg_env).stdout.strip().splitlines()[-1]
        if net:
            db = db.replace("@127.0.0.1:", f"@{Net.HOST}:")
        smb_port, self.smb_user, self.smb_pass = free_port(), "chaostest", os.urandom(8).hex()
        subprocess.run(["bash", f"{ROOT}/tests/fixtures/samba/start-smbd.sh", self.smb_dir, str(smb_port), self.smb_user, self.smb_pass], check=True, capture_output=True)
        cluster_ports = [free_port() for _ in range(3)]
        for i in range(3):
            self.edges.append(Edge(i, work, db, cluster_ports, net))
            self.edges[-1].start()
        self.supervisor = Supervisor(self.edges)
        self.supervisor.start()
        edge_args = sum((["--edge", e.url] for e in self.edges), [])
        ca = os.path.join(self.edges[0].dir, "edge-ca.pem")
        self.connectors = []
        for replica in ("replica-a", "replica-b"):
            c = Proc(replica, ["tunnel", "--hostname", HOST, "--url", f"tcp://127.0.0.1:{smb_port}", *edge_args, "--ca-file", ca,
                               "--origincert", os.path.join(self.edges[0].dir, "cert.pem"), "--ha-connections", "3", "--replica-id", replica], work)
            self.procs.append(c.start())
            self.connectors.append(c)
        wait_until(lambda: len(connections(self.edges)) >= 6, 60, "connectors did not register 6 connections")
        token = json.load(open(os.path.join(self.edges[0].dir, "service-token.json")))
        self.access_port = free_port()
        self.access = Proc("access", ["access", "tcp", "--hostname", HOST, "--url", f"127.0.0.1:{self.access_port}", *edge_args, "--ca-file", ca, "--no-browser"],
                           work, {"TUNNEL_SERVICE_TOKEN_ID": token["client_id"], "TUNNEL_SERVICE_TOKEN_SECRET": token["client_secret"]}).start()
        self.procs.append(self.access)
        wait_until(lambda: socket.create_connection(("127.0.0.1", self.access_port), 1).close() or True, 30, "access tcp not listening")
        return self

    def stop(self):
        if self.supervisor:
            self.supervisor.stop.set()
            self.supervisor.join(5)  # no edge started again behind the sweep below
        for p in self.procs + [e.proc for e in self.edges]:
            p.signal(signal.SIGCONT)
            p.signal(signal.SIGKILL)
        subprocess.run(["bash", f"{ROOT}/tests/fixtures/samba/stop-smbd.sh", self.smb_dir], capture_output=True)
        subprocess.run(["bash", f"{ROOT}/tests/fixtures/postgres/stop-postgres.sh", self.pg_dir], capture_output=True)
        if self.net:
            self.net.teardown()
        if os.environ.get("CHAOS_KEEP"):
            print(f"logs kept in {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--settle", type=float, default=20, help="seconds of traffic after each fault")
    ap.add_argument("--smoke", action="store_true", help="short windows")
    ap.add_argument("--size-mib", type=float, default=4)
    ap.add_argument("--soak", type=float, metavar="MINUTES", help="instead of the fault list: churn, long transfers and random faults for MINUTES, sampling RSS")
    args = ap.parse_args()
    if args.soak:
        return soak(args.soak, args.size_mib)
    settle = 4 if args.smoke else args.settle
    long_freeze = 25 if args.smoke else 60  # the smoke's long freeze still outlasts detection + down-unreachable-after (3 s + 15 s)
    partition_for = 25 if args.smoke else 60
    rig = Rig()
    try:
        rig.start()
        edges, connectors, access, access_port, net, work = rig.edges, rig.connectors, rig.access, rig.access_port, rig.net, rig.work
        smb_user, smb_pass = rig.smb_user, rig.smb_pass

        loop = Loop(work, access_port, smb_user, smb_pass, int(args.size_mib * 1024 * 1024))
        loop.start()
        probe = Probe(access_port)
        probe.start()
        time.sleep(settle)
        faults = []
        single = {}  # fault -> seconds after its window until the cluster held exactly one copy of the tunnel's entity, or None
        figures = []  # (target, measured text, met)

        def fault(name, action):
            print(f"--- {name}", flush=True)
            faults.append((name, time.time()))
            try:
                action()  # raises FaultNotInjected when the fault did not take effect: the run fails
            except FaultNotInjected:
                raise
            except Exception as error:  # a recovery that never came (wait_until's TimeoutError), or a bug here: named, not a bare traceback
                raise FaultFailed(f"{name}: {type(error).__name__}: {error}") from error
            time.sleep(settle)
            # A node that died with the entity leaves none until it is downed (detection + stable-after); a second
            # copy is never right. Either way the cluster must be back to one within ENTITY_WINDOW.
            since, copies = time.time(), entity_copies(edges)
            while copies != 1 and time.time() - since < ENTITY_WINDOW:
                time.sleep(0.5)
                copies = entity_copies(edges)
            single[name] = time.time() - since if copies == 1 else None
            print(f"    {copies} cop{'y' if copies == 1 else 'ies'} of the tunnel entity cluster-wide", flush=True)

        def figure(target, seconds, limit):
            met = seconds is not None and seconds <= limit
            figures.append((target, "never" if seconds is None else f"{seconds:.1f} s", f"≤ {limit} s", met))
            print(f"    {target}: {figures[-1][1]} (target {figures[-1][2]})", flush=True)

        def no_failures_after(target, since):
            late = [r for r in loop.records if r[0] >= since and r[1] <= time.time() and not r[2]]
            figures.append((target, str(len(late)), "0", not late))

        def restart_edge(e, sig):
            e.supervised = False
            e.proc.signal(sig)
            e.proc.wait(60)
            e.start()

        def kill_edge(e):
            e.supervised = False  # restarted by the next fault, not by the supervisor
            e.proc.signal(signal.SIGKILL)

        fault("SIGKILL edge0 (seed, shard coordinator)", lambda: kill_edge(edges[0]))
        fault("restart edge0", edges[0].start)
        fault("SIGKILL connector replica-a", lambda: connectors[0].signal(signal.SIGKILL))
        fault("restart connector replica-a", connectors[0].start)
        def drop_two():
            # A listing can fail for a moment while the cluster settles after the faults before (every edge's admin API asked).
            ids, deadline = connections(edges), time.time() + 15
            while len(ids) < 2 and time.time() < deadline:
                time.sleep(0.5)
                ids = connections(edges)
            print(f"    {len(ids)} live connections; closing 2", flush=True)
            if len(ids) < 2:
                raise FaultNotInjected(f"only {len(ids)} connections listed")
            closed, by_us = random.sample(ids, 2), 0
            for c in closed:
                try:
                    edges[1].api("POST", f"/api/connections/{c}/close?reason=chaos")
                    by_us += 1
                except urllib.error.HTTPError as error:
                    if error.code != 404:
                        raise FaultNotInjected(f"closing {c}: {error}")
                    print(f"    {c} ended on its own before the close", flush=True)  # listed a moment ago: the entity's view lags a little
            if not by_us:
                raise FaultNotInjected(f"neither of {closed} was live to close")
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
        fault("SIGKILL edge1", lambda: kill_edge(edges[1]))
        fault("restart edge1", edges[1].start)

        # Gray failures. The edge the client's carrier is on is the one to freeze: a freeze elsewhere proves nothing.
        def freeze_edge(seconds):
            e = edges[carrier_edge(access, edges, 2)]
            at = time.time()
            e.proc.signal(signal.SIGSTOP)
            print(f"    edge{e.i} (the client's carrier's) frozen for {seconds} s", flush=True)
            time.sleep(seconds)
            replaced = replaced_after(connectors, e, at, time.time())
            if (recovered := probe.recovered_after(at, time.time())) is None:
                raise FaultNotInjected(f"no new connection succeeded while edge{e.i} was frozen")
            figure(f"edge frozen {seconds} s: new connections succeed again", recovered, 2)
            figure(f"edge frozen {seconds} s: its connectors' connections replaced on other edges", replaced, 5)
            e.proc.signal(signal.SIGCONT)
            resumed = time.time()
            wait_until(lambda: member_again(edges, e), 90, f"edge{e.i} not a serving member again 90 s after SIGCONT")
            figure(f"edge frozen {seconds} s: a serving cluster member again after SIGCONT", time.time() - resumed, 30)
        fault("SIGSTOP the client's edge for 5 s", lambda: freeze_edge(5))
        fault(f"SIGSTOP the client's edge for {long_freeze} s (downed, exits 3, restarted)", lambda: freeze_edge(long_freeze))

        def freeze_connector():
            at = time.time()
            connectors[0].signal(signal.SIGSTOP)
            time.sleep(10)
            connectors[0].signal(signal.SIGCONT)
            figure("connector replica frozen: new connections succeed again", probe.recovered_after(at, time.time()), 2)
            no_failures_after("connector replica frozen: transfers started 2 s on that failed", at + 2)
        fault("SIGSTOP connector replica-a for 10 s", freeze_connector)

        if net:
            def black_hole():
                e = edges[carrier_edge(access, edges, 0)]
                at = time.time()
                net.black_hole_root(e.i, True)
                print(f"    the path to edge{e.i} (the client's carrier's) black-holed for 10 s", flush=True)
                time.sleep(10)
                net.black_hole_root(e.i, False)
                figure("path black-holed: new connections succeed again", probe.recovered_after(at, time.time()), 5)
            fault("black-hole the path to the client's edge for 10 s (nothing closed)", black_hole)

            def partition(minority, cut, label):
                at = time.time()
                for i, j in cut:
                    net.link(i, j, False)
                refused = None
                while time.time() - at < partition_for:
                    # Refusing, or not up at all (downed and restarting); an edge that does not answer proves nothing.
                    if refused is None and all(edges[m].ready_status() in ("minority", "Down", "Joining", "Removed", "Leaving", "Exiting") for m in minority):
                        refused = time.time() - at
                    time.sleep(0.25)
                if minority == [0]:
                    figure(f"{label}: the minority edge refuses new streams", refused, 5)
                    no_failures_after(f"{label}: transfers started 2 s on that failed (majority serving)", at + 2)
                for i, j in cut:
                    net.link(i, j, True)
                healed = time.time()
                wait_until(lambda: all(member_again(edges, e) for e in edges), 120, f"{label}: the cluster not whole 120 s after healing")
                figure(f"{label}: whole again after healing", time.time() - healed, 30)
            fault(f"partition edge0 from edge1 and edge2 for {partition_for} s, then heal", lambda: partition([0], [(0, 1), (0, 2)], "partition 1 against 2"))
            fault(f"split all three edges for {partition_for} s, then heal", lambda: partition([0, 1, 2], [(0, 1), (0, 2), (1, 2)], "full split"))

        fault("rolling restart (SIGTERM) of edge0, edge1, edge2", lambda: [restart_edge(e, signal.SIGTERM) for e in edges])
        loop.stop.set()
        probe.stop.set()
        loop.join(90)
        report(loop.records, probe, faults, single)
        print("\n| target | measured | limit | met |\n|---|---|---|---|")
        for target, measured, limit, met in figures:
            print(f"| {target} | {measured} | {limit} | {'yes' if met else 'NO'} |")
        exits = [(e.i, code) for e in edges for _, code in e.exits]
        print(f"\nedge exits seen by the supervisor (edge, status): {exits or 'none'}")
        duplicated = [name for name, after in single.items() if after is None]
        if duplicated:
            print(f"FAIL: not exactly one tunnel entity within {ENTITY_WINDOW} s after: {'; '.join(duplicated)}")
        return 1 if any(r[3] for r in loop.records) or duplicated else 0
    except FaultNotInjected as error:
        print(f"FAIL: a fault did not take effect: {error}")
        return 1
    except FaultFailed as error:
        print(f"FAIL: the run stopped during a fault: {error}")
        return 1
    finally:
        rig.stop()


class Churn(threading.Thread):
    """Short connections through `access tcp`, one after another at most `rate` a second: an SMB2 NEGOTIATE each, answered by Samba."""

    def __init__(self, port, rate):
        super().__init__(daemon=True)
        self.probe, self.rate, self.stop = Probe(port), rate, threading.Event()
        self.ok = self.failed = 0

    def run(self):
        while not self.stop.is_set():
            start = time.time()
            if self.probe.once():
                self.ok += 1
            else:
                self.failed += 1
            self.stop.wait(max(0.0, 1.0 / self.rate - (time.time() - start)))


def rss_kib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def soak(minutes, size_mib):
    """
    Churn for `minutes`: short connections from eight threads (at most 100,000 in 30 minutes), 64 MiB SMB transfers,
    and a random fault every 30 s (a frozen edge, a black-holed path, dropped WebSockets, a closed stream, a
    frozen connector), with the RSS of every process sampled every 5 s. Processes are never restarted by these
    faults, so each one's RSS at the end is compared with its own after warm-up (the first fifth, at least
    30 s). Exits 1 if a completed transfer was corrupt.
    """
    duration = minutes * 60
    warmup = max(30.0, duration / 5)
    rig = Rig()
    try:
        rig.start()
        edges, net = rig.edges, rig.net
        loop = Loop(rig.work, rig.access_port, rig.smb_user, rig.smb_pass, int(max(size_mib, 64) * 1024 * 1024))
        churn = [Churn(rig.access_port, 100000 / 1800 / 8) for _ in range(8)]  # 100,000 in 30 minutes, if the machine keeps up
        for t in [loop, *churn]:
            t.start()
        watched = {p.name: p for p in rig.procs + [e.proc for e in edges]}
        samples = {name: [] for name in watched}  # name -> [(t, pid, kib)]
        faults = []

        def freeze_edge():
            e = edges[carrier_edge(rig.access, edges, 0)]
            e.proc.signal(signal.SIGSTOP)
            time.sleep(5)
            e.proc.signal(signal.SIGCONT)
            return f"SIGSTOP edge{e.i} 5 s"

        def black_hole():
            e = edges[carrier_edge(rig.access, edges, 0)]
            net.black_hole_root(e.i, True)
            time.sleep(5)
            net.black_hole_root(e.i, False)
            return f"black-holed the path to edge{e.i} 5 s"

        def drop_connection():
            ids = connections(edges)
            if ids:
                try:
                    edges[0].api("POST", f"/api/connections/{random.choice(ids)}/close?reason=soak")
                except Exception as error:
                    return f"dropping a connection failed: {error}"
            return "dropped a connector connection"

        def close_stream():
            live = [x for x in streams(edges) if x["kind"] == "client"]
            if live:
                try:
                    edges[0].api("POST", f"/api/streams/{urllib.parse.quote(random.choice(live)['streamId'], safe='')}/close?reason=soak")
                except urllib.error.HTTPError as error:
                    return "closed no stream: it ended first" if error.code == 404 else f"closing a stream failed: {error}"
            return "closed a stream"

        def freeze_connector():
            c = random.choice(rig.connectors)
            c.signal(signal.SIGSTOP)
            time.sleep(5)
            c.signal(signal.SIGCONT)
            return f"SIGSTOP {c.name} 5 s"

        kinds = [freeze_edge, drop_connection, close_stream, freeze_connector] + ([black_hole] if net else [])
        start = last_fault = last_sample = time.time()
        while time.time() - start < duration:
            now = time.time()
            if now - last_sample >= 5:
                last_sample = now
                for name, p in watched.items():
                    if p.p and p.p.poll() is None and (kib := rss_kib(p.p.pid)) is not None:
                        samples[name].append((now - start, p.p.pid, kib))
            if now - last_fault >= min(30.0, duration / 4) and now - start >= warmup / 2:
                last_fault = now
                faults.append(random.choice(kinds)())
                print(f"    {now - start:6.0f} s: {faults[-1]}", flush=True)
            time.sleep(0.5)
        for t in [loop, *churn]:
            t.stop.set()
        loop.join(120)
        print("\n| process | RSS after warm-up | RSS at the end | growth | within 10 % |\n|---|---|---|---|---|")
        for name, series in samples.items():
            pids = {pid for _, pid, _ in series}
            if len(pids) != 1:
                print(f"| {name} | restarted during the soak: not compared | | | |")
                continue
            base = [k for t, _, k in series if warmup - 15 <= t <= warmup]
            end = [k for _, _, k in series[-3:]]
            if not base or not end:
                print(f"| {name} | too few samples | | | |")
                continue
            b, e = sorted(base)[len(base) // 2], sorted(end)[len(end) // 2]
            growth = 100.0 * (e - b) / b
            print(f"| {name} | {b / 1024:.0f} MiB | {e / 1024:.0f} MiB | {growth:+.1f} % | {'yes' if growth <= 10 else 'NO'} |")
        ok, failed = sum(c.ok for c in churn), sum(c.failed for c in churn)
        records = loop.records
        corrupt = sum(1 for r in records if r[3])
        print(f"\nsoak: {minutes:g} min, {len(faults)} faults, short connections: {ok} succeeded, {failed} failed; "
              f"transfers of {max(size_mib, 64):g} MiB: {len(records)}, failed: {sum(1 for r in records if not r[2])}, "
              f"completed and sha256-identical: {sum(1 for r in records if r[2])}, corrupt: {corrupt}")
        return 1 if corrupt else 0
    finally:
        rig.stop()


def replaced_after(connectors, edge, since, until):
    """
    Seconds from `since` until every connector connection that fell silent on `edge` had a replacement registered
    on another edge, read from the connectors' logs (`Connection N: edge URL silent ...`, `Connection N registered
    ... with edge URL`); 0 if none fell silent; None if one was not replaced before `until`.
    """
    def seconds(stamp):  # the logs' UTC time of day, on the day of `since`
        h, m, rest = stamp.split(":")
        day = since - since % 86400
        return day + int(h) * 3600 + int(m) * 60 + float(rest)
    worst = 0.0
    for c in connectors:
        silent, registered = {}, {}
        for line in open(c.log, errors="replace"):
            if len(line) < 12 or line[2] != ":":
                continue
            t = seconds(line[:12])
            if not since <= t < until:
                continue
            if f"edge {edge.url}/ silent" in line:
                silent.setdefault(line.split("Connection ")[1].split(":")[0], t)
            elif " registered " in line and f"with edge {edge.url}/" not in line:
                n = line.split("Connection ")[1].split(" ")[0]
                registered.setdefault(n, []).append(t)
        for n, t in silent.items():
            later = [r for r in registered.get(n, []) if r >= t]
            if not later:
                return None
            worst = max(worst, later[0] - since)
    return worst


def carrier_edge(access, edges, otherwise):
    """The edge the access client's newest carrier is on (from its log: `Carrier c1@HOST:PORT up`)."""
    try:
        lines = [l for l in open(access.log, errors="replace") if "Carrier " in l and " up" in l]
        for e in edges:
            if lines and f"@{e.host}:{e.cluster_port}" in lines[-1]:
                return e.i
    except OSError:
        pass
    return otherwise


def member_again(edges, e):
    """Edge e answers /ready (serving) and another edge lists it Up and reachable."""
    if e.ready_status() != "ready":
        return False
    for other in edges:
        if other is e:
            continue
        try:
            members = other.api("GET", "/api/cluster")["members"]
        except Exception:
            continue
        return any(m["address"].endswith(f"@{e.host}:{e.cluster_port}") and m["status"] == "Up" and m["reachable"] for m in members)
    return False


class FaultNotInjected(Exception):
    """A fault that did not happen must not be reported as recovered from."""


class FaultFailed(Exception):
    """A fault whose action or awaited recovery raised: the fault's name and the cause, for the run's last line."""


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


def report(records, probe, faults, single):
    # A transfer belongs to the last fault before it ended: the one that could have broken it.
    print("\n| fault | new connections succeed again after | new transfers succeed again after | failed transfers in its window | one tunnel entity again after the window |")
    print("|---|---|---|---|---|")
    bounds = [t for _, t in faults] + [float("inf")]
    for (name, at), end in zip(faults, bounds[1:]):
        window = [r for r in records if at <= r[1] < end]
        first_ok = min((r[0] for r in records if r[0] >= at and r[2]), default=None)
        recovered = "never" if first_ok is None else f"{max(0.0, first_ok - at):.2f} s"
        after = single.get(name)
        entity = "never" if after is None else f"{after:.1f} s"
        connect = probe.recovered_after(at, end)
        connect = "never" if connect is None else f"{connect:.2f} s"
        print(f"| {name} | {connect} | {recovered} | {sum(1 for r in window if not r[2])} of {len(window)} | {entity} |")
    total, failed = len(records), sum(1 for r in records if not r[2])
    corrupt = sum(1 for r in records if r[3])
    print(f"\ntransfers: {total}, failed: {failed} ({100.0 * failed / max(total, 1):.1f} %), "
          f"completed and sha256-identical: {total - failed}, corrupt: {corrupt}")
    errors = sorted({r[4] for r in records if not r[2]})
    if errors:
        print("failure reasons seen: " + "; ".join(errors[:8]))


if __name__ == "__main__":
    sys.exit(main())
