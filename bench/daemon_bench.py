#!/usr/bin/env python3
"""The daemon's performance targets (DESIGN.md section 10), measured in one run beside a real
dockerd (Debian's docker.io, runc) with the same docker CLI and the same busybox image, pulled
by both from one local registry.

Usage: daemon_bench.py [--iterations N] [--run-iterations N] [--big-bytes B] [--containers C]
                       [--skip-dockerd] [--log-level L]

Binaries: SOCKERLESSD, SOCKERLESS_AWSSIM and SOCKERLESS_AGENT, else those of build/dev. Needs
root (the embedded simulator runs image containers under runc only as root), the docker CLI,
docker-registry and skopeo, and dockerd unless --skip-dockerd.

1. `docker exec CTR true` with the CLI: median and p90 of N (--iterations, 30) runs per peer,
   interleaved. Target: sockerless at most 1/3 of dockerd. Beside it, for the split between
   daemon and CLI: the same exec through a raw API client (exec create, hijacked start, exec
   inspect, as the CLI sends them) and `docker version`, the CLI's own fixed cost.
2. `docker run --rm IMG true` with the CLI: median and p90 of --run-iterations (10). Target: at
   most dockerd.
3. `docker exec CTR cat BIG` (BIG made in the container first, --big-bytes, 1 GiB), stdout to
   /dev/null, in GB/s (1e9 bytes/s), median of 3: once with the CLI, once with a raw client
   (exec create + hijacked exec start over the unix socket, frames counted and discarded here) so
   the CLI's own cost shows. Target: at least 1 GB/s.
4. GET /containers/json?all=1 with --containers (1,000) created containers, over a keep-alive
   connection, median of 20. Target: under 50 ms. dockerd is skipped (with a note) when its
   creates would take over 2 minutes.
5. The daemon's VmRSS before and after the creates, per container. Target: under 64 KiB.
   Measured before 3, so the big stream's freed buffers do not hide the containers' memory. Since
   malloc reuses memory freed earlier, VmRSS can grow by less than the containers take: with gdb
   installed, the bytes malloc has in use (malloc_stats()) are measured too.

Each measurement is warmed up once. Ratios are sockerless / dockerd. Not registered with ctest:
figures depend on the machine. Everything lives under one temp dir and every process started
here is stopped by its PID, also on errors and Ctrl-C.
"""

import argparse
import concurrent.futures
import http.client
import json
import math
import re
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "daemon"))
import harness  # noqa: E402
from differential_test import Dockerd  # noqa: E402

API = "/v1.41"  # what both peers serve (dockerd 20.10 stops at 1.41)
BENCH_LABEL = "sockerless-bench"
DOCKERD_CREATE_BUDGET = 120.0
WORKERS = 4  # concurrent API clients for the bulk creates and deletes
PS_CALLS = 20
STREAM_RUNS = 3
NET = ("--network", "none")  # dockerd runs with --bridge=none

DEFAULT_BINARIES = {
    "SOCKERLESSD": "build/dev/src/app/sockerlessd",
    "SOCKERLESS_AWSSIM": "build/dev/tools/awssim/sockerless-awssim",
    "SOCKERLESS_AGENT": "build/dev/src/app/sockerless-agent",
}


class Interrupted(Exception):
    pass


def progress(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class UnixConnection(http.client.HTTPConnection):
    """A keep-alive HTTP/1.1 connection to a daemon's unix socket."""

    def __init__(self, path, timeout=120):
        super().__init__("docker", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Peer:
    """One daemon under measurement: its socket, docker CLI environment and PID."""

    def __init__(self, name, sock, pid, root):
        self.name = name
        self.sock = sock
        self.pid = pid
        self.env = dict(os.environ, DOCKER_HOST="unix://" + sock,
                        DOCKER_CONFIG=os.path.join(root, "docker-config-" + name))
        for k in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
            self.env.pop(k, None)
        os.makedirs(self.env["DOCKER_CONFIG"], exist_ok=True)
        self.conn = UnixConnection(sock)
        self.exec_ctr = None
        self.log_path = None  # where the daemon's stderr goes, for heap_in_use()

    def docker(self, *args, check=True, timeout=300, stdout=subprocess.PIPE):
        r = subprocess.run([harness.DOCKER, *args], env=self.env, stdout=stdout,
                           stderr=subprocess.PIPE, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError(f"{self.name}: docker {' '.join(args)} exited {r.returncode}: "
                               f"{r.stderr.decode(errors='replace').strip()}")
        return r

    def timed_docker(self, *args):
        t0 = time.perf_counter()
        self.docker(*args, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0

    def api(self, method, path, body=None, conn=None):
        """(status, body bytes) over a keep-alive connection, reconnecting once if the daemon
        closed it between requests."""
        conn = conn or self.conn
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in (0, 1):
            try:
                conn.request(method, API + path, body=data, headers=headers)
                r = conn.getresponse()
                return r.status, r.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                if attempt:
                    raise

    def rss_kib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for {self.name} (pid {self.pid})")


def percentile(samples, p):
    s = sorted(samples)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


# ---- 1 and 2: CLI latencies ---------------------------------------------------------------


def cli_latency(peers, args, iterations):
    """{peer name: [seconds]} for `docker ARGS`, one warm-up each, then interleaved runs so a
    change in the machine's load hits both peers alike."""
    for p in peers:
        p.timed_docker(*args(p))
    out = {p.name: [] for p in peers}
    for _ in range(iterations):
        for p in peers:
            out[p.name].append(p.timed_docker(*args(p)))
    return out


def raw_latency(peers, cmd, iterations):
    """{peer name: [seconds]} for raw_exec_stream(cmd): the daemon's share of `docker exec`."""
    def once(p):
        t0 = time.perf_counter()
        raw_exec_stream(p, cmd)
        return time.perf_counter() - t0

    for p in peers:
        once(p)
    out = {p.name: [] for p in peers}
    for _ in range(iterations):
        for p in peers:
            out[p.name].append(once(p))
    return out


# ---- 3: exec stdout throughput ------------------------------------------------------------


def raw_exec_stream(peer, cmd):
    """Runs cmd in peer.exec_ctr through the raw API as the CLI does: exec create, a hijacked
    exec start whose stdcopy frames are read with large receives and discarded, exec inspect.
    Returns the stdout byte count; raises unless cmd exited 0 with nothing on stderr."""
    status, body = peer.api("POST", f"/containers/{peer.exec_ctr}/exec",
                            {"AttachStdout": True, "AttachStderr": True, "Cmd": cmd})
    if status != 201:
        raise RuntimeError(f"{peer.name}: exec create: {status} {body[:200]!r}")
    exec_id = json.loads(body)["Id"]
    payload = b'{"Detach":false,"Tty":false}'
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.settimeout(300)
    s.connect(peer.sock)
    s.sendall((f"POST {API}/exec/{exec_id}/start HTTP/1.1\r\nHost: docker\r\n"
               "Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
               f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload)
    buf = bytearray(4 << 20)
    view = memoryview(buf)
    head = b""
    while b"\r\n\r\n" not in head:
        n = s.recv_into(buf)
        if n == 0:
            raise RuntimeError(f"{peer.name}: exec start closed before its response")
        head += bytes(view[:n])
    head, _, first = head.partition(b"\r\n\r\n")
    code = int(head.split()[1])
    if code not in (101, 200):
        raise RuntimeError(f"{peer.name}: exec start: {head.decode(errors='replace')}")
    # Frame state: `left` payload bytes of the current frame still to come, or a partial
    # 8-byte header in `hdr` when left == 0.
    counts = {1: 0, 2: 0}
    left, stream, hdr = 0, 1, b""

    def consume(chunk):
        nonlocal left, stream, hdr
        i, n = 0, len(chunk)
        while i < n:
            if left:
                take = min(left, n - i)
                counts[stream] = counts.get(stream, 0) + take
                left -= take
                i += take
                continue
            need = 8 - len(hdr)
            hdr += bytes(chunk[i:i + need])
            i += need
            if len(hdr) == 8:
                stream, left = hdr[0], int.from_bytes(hdr[4:8], "big")
                hdr = b""

    consume(memoryview(first))
    while True:
        n = s.recv_into(buf)
        if n == 0:
            break
        consume(view[:n])
    s.close()
    if counts[2]:
        raise RuntimeError(f"{peer.name}: exec wrote {counts[2]} bytes to stderr")
    status, body = peer.api("GET", f"/exec/{exec_id}/json")
    if status != 200 or json.loads(body).get("ExitCode") != 0:
        raise RuntimeError(f"{peer.name}: exec {cmd}: {status} {body[:300]!r}")
    return counts[1]


def throughput(peers, big):
    """{peer name: {"cli": [GB/s], "raw": [GB/s]}}."""
    out = {}
    for p in peers:
        progress(f"{p.name}: writing {big} bytes to /tmp/big in the container")
        p.docker("exec", p.exec_ctr, "sh", "-c", f"head -c {big} /dev/zero > /tmp/big")
        size = int(p.docker("exec", p.exec_ctr, "stat", "-c", "%s", "/tmp/big").stdout)
        if size != big:
            raise RuntimeError(f"{p.name}: /tmp/big has {size} bytes, not {big}")
        res = {"cli": [], "raw": []}
        for run in range(STREAM_RUNS + 1):  # the first is the warm-up
            t = p.timed_docker("exec", p.exec_ctr, "cat", "/tmp/big")
            if run:
                res["cli"].append(big / t / 1e9)
        for run in range(STREAM_RUNS + 1):
            t0 = time.perf_counter()
            got = raw_exec_stream(p, ["cat", "/tmp/big"])
            t = time.perf_counter() - t0
            if got != big:
                raise RuntimeError(f"{p.name}: raw exec stream gave {got} bytes, not {big}")
            if run:
                res["raw"].append(big / t / 1e9)
        p.docker("exec", p.exec_ctr, "rm", "-f", "/tmp/big")
        out[p.name] = res
    return out


# ---- 4 and 5: many containers ---------------------------------------------------------------


def bulk(peer, fn, items):
    """fn(conn, item) for every item, spread over WORKERS threads, each with its own keep-alive
    connection; returns the results in the order of items."""
    items = list(items)
    chunks = [items[i::WORKERS] for i in range(WORKERS)]

    def work(chunk):
        conn = UnixConnection(peer.sock)
        try:
            return [fn(conn, item) for item in chunk]
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        done = list(pool.map(work, chunks))
    return [done[i % WORKERS][i // WORKERS] for i in range(len(items))]


def create_containers(peer, image, count, budget=None):
    """Creates count containers (created state); returns (ids, seconds). With a budget, stops
    after a first batch whose rate projects past it and returns what was created so far."""
    spec = {"Image": image, "Cmd": ["true"], "Labels": {BENCH_LABEL: "1"},
            "HostConfig": {"NetworkMode": "none"}}

    def one(conn, _):
        status, body = peer.api("POST", "/containers/create", spec, conn=conn)
        if status != 201:
            raise RuntimeError(f"{peer.name}: create: {status} {body[:200]!r}")
        return json.loads(body)["Id"]

    t0 = time.perf_counter()
    first = min(count, 50)
    ids = bulk(peer, one, range(first))
    if budget is not None and (time.perf_counter() - t0) / first * count > budget:
        return ids, None
    ids += bulk(peer, one, range(count - first))
    return ids, time.perf_counter() - t0


def remove_containers(peer, ids):
    def one(conn, cid):
        status, body = peer.api("DELETE", f"/containers/{cid}?force=1", conn=conn)
        if status not in (204, 404):
            raise RuntimeError(f"{peer.name}: delete {cid}: {status} {body[:200]!r}")

    t0 = time.perf_counter()
    bulk(peer, one, ids)
    return time.perf_counter() - t0


MALLOC_TOTAL = re.compile(rb"Total \(incl\. mmap\):\s*\nsystem bytes\s*=\s*\d+\s*\n"
                          rb"in use bytes\s*=\s*(\d+)")


def heap_in_use(peer):
    """Bytes the daemon's malloc has handed out and not freed: glibc's malloc_stats(), called in
    the process through gdb, prints them on the daemon's stderr (its log). None without gdb or
    a log. Unlike VmRSS it does not hide new objects placed in memory freed earlier."""
    gdb = shutil.which("gdb")
    if not gdb or not peer.log_path:
        return None
    with open(peer.log_path, "rb") as f:
        f.seek(0, os.SEEK_END)
        start = f.tell()
    r = subprocess.run([gdb, "--readnever", "-nx", "-batch", "-p", str(peer.pid), "-ex",
                        "call (void)malloc_stats()"], capture_output=True, timeout=120)
    with open(peer.log_path, "rb") as f:
        f.seek(start)
        found = MALLOC_TOTAL.findall(f.read())
    if r.returncode != 0 or not found:
        return None
    return int(found[-1])


def many_containers(peer, image, count, budget):
    """Creates count containers, times GET /containers/json?all=1, removes them. Returns a dict
    of figures, or {"skipped": reason}."""
    # Warm-up: one create and delete, one listing.
    ids, _ = create_containers(peer, image, 1)
    remove_containers(peer, ids)
    peer.api("GET", "/containers/json?all=1")
    rss_before = peer.rss_kib()
    heap_before = heap_in_use(peer)
    ids, create_s = create_containers(peer, image, count, budget)
    if create_s is None:
        remove_containers(peer, ids)
        return {"skipped": f"creates would take over {budget:.0f} s "
                           f"(projected from the first {len(ids)})"}
    try:
        rss_after = peer.rss_kib()
        heap_after = heap_in_use(peer) if heap_before is not None else None
        status, body = peer.api("GET", "/containers/json?all=1")
        listed = len(json.loads(body))
        if status != 200 or listed < count:
            raise RuntimeError(f"{peer.name}: listing gave {status} with {listed} containers")
        times = []
        for _ in range(PS_CALLS):
            t0 = time.perf_counter()
            status, body = peer.api("GET", "/containers/json?all=1")
            times.append(time.perf_counter() - t0)
        return {"ps": times, "bytes": len(body), "create_s": create_s,
                "rss_per": (rss_after - rss_before) / count, "rss_before": rss_before,
                "rss_after": rss_after,
                "heap_per": (heap_after - heap_before) / count / 1024 if heap_after else None}
    finally:
        progress(f"{peer.name}: removing {len(ids)} containers")
        t = remove_containers(peer, ids)
        progress(f"{peer.name}: removed in {t:.1f} s")


# ---- report ----------------------------------------------------------------------------------


def ms(v):
    return f"{v * 1e3:.1f} ms"


def gbs(v):
    return f"{v:.2f} GB/s"


def kib(v):
    return f"{v:.1f} KiB"


class Report:
    def __init__(self, with_dockerd):
        self.with_dockerd = with_dockerd
        self.rows = []
        self.notes = []

    def row(self, what, fmt, ours, theirs=None, target=None, met=None):
        """met: True/False/None (None: not judged on this row)."""
        ratio = f"{ours / theirs:.2f}" if self.with_dockerd and theirs else ""
        their_s = fmt(theirs) if theirs is not None else ("-" if self.with_dockerd else "")
        verdict = "" if met is None else ("yes" if met else "NO")
        self.rows.append((what, fmt(ours), their_s, ratio, target or "", verdict))

    def print(self):
        head = ("measurement", "sockerless", "dockerd", "ratio", "target", "met")
        cols = range(6) if self.with_dockerd else (0, 1, 4, 5)
        table = [[r[i] for i in cols] for r in [head] + self.rows]
        left = [n for n, i in enumerate(cols) if i in (0, 4)]
        widths = [max(len(r[n]) for r in table) for n in range(len(cols))]
        for r in table:
            print("  ".join(c.ljust(w) if n in left else c.rjust(w)
                            for n, (c, w) in enumerate(zip(r, widths))).rstrip())
        if self.with_dockerd:
            print("ratio = sockerless / dockerd")
        for n in self.notes:
            print("note: " + n)


def relative(report, ours, theirs, limit, label):
    """met for a 'sockerless <= limit * dockerd' target, None without dockerd."""
    if theirs is None:
        report.notes.append(f"{label}: target is relative to dockerd, not judged without it")
        return None
    return ours <= limit * theirs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iterations", type=int, default=30, help="docker exec runs (30)")
    ap.add_argument("--run-iterations", type=int, default=10, help="docker run --rm runs (10)")
    ap.add_argument("--big-bytes", type=int, default=1 << 30, help="streamed file size (1 GiB)")
    ap.add_argument("--containers", type=int, default=1000, help="containers for ps/RSS (1000)")
    ap.add_argument("--skip-dockerd", action="store_true", help="sockerless figures only")
    ap.add_argument("--log-level", default="info", help="sockerlessd's --log-level (info)")
    a = ap.parse_args()

    for var, rel in DEFAULT_BINARIES.items():
        os.environ.setdefault(var, os.path.join(REPO, rel))
    missing = [n for n, ok in (("root", os.geteuid() == 0), ("docker CLI", harness.DOCKER),
                               ("docker-registry", shutil.which("docker-registry")),
                               ("skopeo", shutil.which("skopeo")),
                               ("dockerd", a.skip_dockerd or shutil.which("dockerd"))) if not ok]
    missing += [f"{v} ({os.environ[v]})" for v in DEFAULT_BINARIES
                if not os.access(os.environ[v], os.X_OK)]
    if missing:
        print("daemon_bench: skipped, missing: " + ", ".join(missing))
        return 0

    def on_term(signum, frame):
        raise Interrupted(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)  # also when started with SIGINT ignored (`cmd &`)
    root = tempfile.mkdtemp(prefix="sockerless-bench-")
    started = []  # things with .stop(), stopped in reverse
    peers = []
    try:
        progress("starting the registry with the busybox image")
        images = harness.Images.get(root)
        started.append(images)
        image = images.busybox

        daemon = harness.Daemon(root)
        base_args = daemon.args()
        base_args[base_args.index("--log-level") + 1] = a.log_level
        daemon.args = lambda: base_args
        started.append(daemon)
        progress("starting sockerlessd")
        daemon.start()
        peers.append(Peer("sockerless", daemon.sock, daemon.proc.pid, root))
        peers[-1].log_path = daemon.log_path
        if not a.skip_dockerd:
            dockerd = Dockerd(root)
            started.append(dockerd)
            progress("starting dockerd")
            dockerd.start()
            peers.append(Peer("dockerd", dockerd.sock, dockerd.proc.pid, root))

        for p in peers:
            p.docker("pull", "-q", image)
            r = p.docker("run", "-d", *NET, image, "sleep", "86400")
            p.exec_ctr = r.stdout.decode().strip()
        ours, theirs = peers[0], (peers[1] if len(peers) > 1 else None)
        report = Report(theirs is not None)

        # 4 and 5 first: see the docstring.
        many = {}
        for p in peers:
            progress(f"{p.name}: {a.containers} containers")
            many[p.name] = many_containers(p, image, a.containers,
                                           DOCKERD_CREATE_BUDGET if p is theirs else None)

        progress(f"docker exec CTR true x {a.iterations}")
        lat_exec = cli_latency(peers, lambda p: ("exec", p.exec_ctr, "true"), a.iterations)
        raw_exec = raw_latency(peers, ["true"], a.iterations)
        cli_floor = cli_latency(peers, lambda p: ("version",), a.iterations)
        progress(f"docker run --rm IMG true x {a.run_iterations}")
        lat_run = cli_latency(peers, lambda p: ("run", "--rm", *NET, image, "true"),
                              a.run_iterations)
        tput = throughput(peers, a.big_bytes)

        def pair(d, fn):
            return fn(d[ours.name]), (fn(d[theirs.name]) if theirs else None)

        s, d = pair(lat_exec, statistics.median)
        report.row("1. docker exec CTR true, median", ms, s, d, "<= 1/3 dockerd",
                   relative(report, s, d, 1 / 3, "docker exec"))
        s, d = pair(lat_exec, lambda v: percentile(v, 90))
        report.row("   docker exec CTR true, p90", ms, s, d)
        s, d = pair(raw_exec, statistics.median)
        report.row("   exec true, raw API client, median", ms, s, d)
        s, d = pair(cli_floor, statistics.median)
        report.row("   CLI floor: docker version, median", ms, s, d)
        s, d = pair(lat_run, statistics.median)
        report.row("2. docker run --rm IMG true, median", ms, s, d, "<= dockerd",
                   relative(report, s, d, 1, "docker run"))
        s, d = pair(lat_run, lambda v: percentile(v, 90))
        report.row("   docker run --rm IMG true, p90", ms, s, d)
        size = next((f"{a.big_bytes >> shift} {unit}" for shift, unit in ((30, "GiB"), (20, "MiB"))
                     if a.big_bytes % (1 << shift) == 0), f"{a.big_bytes} B")
        s, d = pair(tput, lambda v: statistics.median(v["cli"]))
        report.row(f"3. exec cat {size} > /dev/null, CLI", gbs, s, d, ">= 1 GB/s", s >= 1.0)
        s, d = pair(tput, lambda v: statistics.median(v["raw"]))
        report.row(f"   exec cat {size}, raw API client", gbs, s, d, ">= 1 GB/s", s >= 1.0)

        m = many[ours.name]
        mt = many[theirs.name] if theirs else None
        if mt and "skipped" in mt:
            report.notes.append(f"dockerd with {a.containers} containers: {mt['skipped']}")
            mt = None
        report.row(f"4. GET /containers/json?all=1, {a.containers} ctrs", ms,
                   statistics.median(m["ps"]), statistics.median(mt["ps"]) if mt else None,
                   "< 50 ms", statistics.median(m["ps"]) < 0.050)
        report.row("   (same, p90)", ms, percentile(m["ps"], 90),
                   percentile(mt["ps"], 90) if mt else None)
        report.row(f"   (create {a.containers}, {WORKERS} clients)", lambda v: f"{v:.2f} s",
                   m["create_s"], mt["create_s"] if mt else None)
        report.row("5. daemon VmRSS growth per container", kib, m["rss_per"],
                   mt["rss_per"] if mt else None, "< 64 KiB", m["rss_per"] < 64)
        if m["heap_per"] is not None:
            report.row("   malloc in use per container", kib, m["heap_per"], None, "< 64 KiB",
                       m["heap_per"] < 64)
        else:
            report.notes.append("malloc in use per container: not measured (needs gdb)")
        report.notes.append(
            f"sockerlessd VmRSS {m['rss_before']} -> {m['rss_after']} KiB"
            + (f", dockerd {mt['rss_before']} -> {mt['rss_after']} KiB" if mt else "")
            + f"; listing body {m['bytes']} bytes"
            + (f" (dockerd {mt['bytes']})" if mt else ""))
        report.notes.append(f"load average at the end: {os.getloadavg()[0]:.2f} "
                            f"on {os.cpu_count()} CPUs")
        report.print()
        return 0
    except (KeyboardInterrupt, Interrupted) as e:
        print(f"daemon_bench: interrupted ({e or 'Ctrl-C'}), cleaning up", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for p in peers:
            if p.exec_ctr:
                try:
                    p.docker("rm", "-f", p.exec_ctr, check=False, timeout=60)
                except subprocess.TimeoutExpired:
                    pass
        for thing in reversed(started):
            try:
                thing.stop()
            except Exception as e:  # keep stopping the others
                print(f"daemon_bench: stopping {type(thing).__name__}: {e}", file=sys.stderr)
        harness.Images._instance = None
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
