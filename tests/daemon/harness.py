"""The daemon under test, as users run it: sockerlessd on its embedded default (the simulator
really runs each container as a task with the agent injected), a local docker-registry holding
the project's busybox test image, and the real docker CLI and docker-py pointed at it.

Environment (set by ctest):
    SOCKERLESSD        the daemon binary
    SOCKERLESS_AWSSIM  the simulator binary   (else found next to the daemon)
    SOCKERLESS_AGENT   the static agent        (else found next to the daemon)

Everything lives under one temp dir; every process started here is stopped by its PID.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "support"))
import registry  # noqa: E402

DOCKER = shutil.which("docker", path="/usr/local/bin:" + os.environ.get("PATH", ""))
START_TIMEOUT = 60.0


class Skip(Exception):
    pass


def _need(path, what):
    if not path or not os.path.exists(path):
        raise Skip(f"{what} not available ({path!r})")
    return path


class Images:
    """The busybox test image in a local registry, built once per process."""

    _instance = None

    def __init__(self, root):
        self.dir = os.path.join(root, "registry")
        self.reg = registry.LocalRegistry(self.dir)
        self.reg.start()
        out = os.path.join(root, "images")
        subprocess.run([os.path.join(REPO, "scripts", "build-test-images.sh"), out, "--no-agent",
                        "--push", self.reg.address], check=True, stdout=subprocess.PIPE)
        self.busybox = f"{self.reg.address}/busybox:latest"

    @classmethod
    def get(cls, root):
        if cls._instance is None:
            cls._instance = Images(root)
        return cls._instance

    def stop(self):
        self.reg.stop()


class Daemon:
    """One sockerlessd with its own state dir and socket."""

    def __init__(self, root, name="d", extra_args=()):
        self.binary = _need(os.environ.get("SOCKERLESSD"), "sockerlessd")
        self.root = root
        self.state = os.path.join(root, name + "-state")
        os.makedirs(self.state, exist_ok=True)
        self.sock = os.path.join(root, name + ".sock")
        self.log_path = os.path.join(root, name + ".log")
        self.extra_args = list(extra_args)
        self.proc = None

    @property
    def host(self):
        return "unix://" + self.sock

    def args(self):
        a = [self.binary, "-H", self.host, "--state-dir", self.state, "--log-level", "debug"]
        if os.environ.get("SOCKERLESS_AWSSIM"):
            a += ["--awssim", os.environ["SOCKERLESS_AWSSIM"]]
        if os.environ.get("SOCKERLESS_AGENT"):
            a += ["--agent", os.environ["SOCKERLESS_AGENT"]]
        return a + self.extra_args

    def start(self):
        log = open(self.log_path, "ab")
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("SOCKERLESS_ECS_") or k.startswith("AWS_ENDPOINT_URL"):
                del env[k]
        self.proc = subprocess.Popen(self.args(), stdout=log, stderr=log, env=env,
                                     start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sockerlessd exited with {self.proc.returncode}:\n{self.log()}")
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError("sockerlessd did not answer /_ping in time:\n" + self.log())

    def ping(self):
        try:
            status, _, _ = self.request("GET", "/_ping", timeout=1)
            return status == 200
        except OSError:
            return False

    def request(self, method, path, body=None, headers=None, timeout=30):
        """One raw HTTP/1.1 request over the daemon's socket: (status, headers, body bytes)."""
        return unix_request(self.sock, method, path, body, headers, timeout)

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # A simulator left by a daemon killed with -9 and never restarted.
        pid_file = os.path.join(self.state, "awssim", "pid")
        if os.path.exists(pid_file):
            try:
                with open(pid_file) as f:
                    pid = int(f.read().strip() or 0)
                if pid > 0:
                    os.kill(pid, signal.SIGTERM)
                    for _ in range(100):
                        os.kill(pid, 0)
                        time.sleep(0.05)
            except (ProcessLookupError, ValueError):
                pass

    def listeners(self):
        """What the daemon said it listens on ("unix:///...", "tcp://127.0.0.1:PORT")."""
        return [line.split("API listening on ", 1)[1].strip()
                for line in self.log().splitlines() if "API listening on " in line]

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-20000:]
        except OSError:
            return ""


def unix_request(sock_path, method, path, body=None, headers=None, timeout=30):
    """One raw HTTP/1.1 request over a unix socket: (status, headers, body bytes), the body
    dechunked. A body that is not bytes is sent as JSON."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", "Host: docker", "Connection: close"]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        if data is not None:
            lines.append(f"Content-Length: {len(data)}")
            if not any(k.lower() == "content-type" for k in (headers or {})):
                lines.append("Content-Type: application/json")
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + (data or b""))
        raw = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
    head, _, rest = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    hdrs = {}
    for h in header_lines:
        k, _, v = h.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    if hdrs.get("transfer-encoding") == "chunked":
        rest = _dechunk(rest)
    return status, hdrs, rest


def _dechunk(data):
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2:]
    return out


class Session:
    """A temp dir, the image registry and one daemon, for one test module."""

    def __init__(self, tag):
        self.root = tempfile.mkdtemp(prefix=f"sockerless-{tag}-")
        self.daemon = Daemon(self.root)  # checks the binaries before anything starts
        self.images = Images.get(self.root)
        try:
            self.daemon.start()
        except BaseException:
            self.close()
            raise
        self.busybox = self.images.busybox
        self.env = dict(os.environ, DOCKER_HOST=self.daemon.host)
        self.env.pop("DOCKER_CONTEXT", None)
        self.env["DOCKER_CONFIG"] = os.path.join(self.root, "docker-config")
        os.makedirs(self.env["DOCKER_CONFIG"], exist_ok=True)

    def docker(self, *args, input=None, timeout=120, check=False, binary=False):
        """Runs the docker CLI against the daemon: CompletedProcess with text output (bytes
        with binary=True, or when `input` is bytes: no newline translation)."""
        if DOCKER is None:
            raise Skip("docker CLI not installed")
        text = not binary and isinstance(input, (str, type(None)))
        r = subprocess.run([DOCKER, *args], input=input, capture_output=True, env=self.env,
                           timeout=timeout, text=text)
        if check and r.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} exited {r.returncode}:\n"
                                 f"{r.stdout}\n{r.stderr}\n--- daemon log ---\n"
                                 f"{self.daemon.log()[-4000:]}")
        return r

    def pull(self):
        self.docker("pull", "-q", self.busybox, check=True)

    def close(self):
        self.daemon.stop()
        Images._instance.stop() if Images._instance else None
        Images._instance = None
        shutil.rmtree(self.root, ignore_errors=True)


def quote(v):
    return urllib.parse.quote(json.dumps(v))


def module_session(tag, pull=True):
    """A Session for a test module's setUpModule: SkipTest when a binary is missing."""
    import unittest
    try:
        session = Session(tag)
    except Skip as e:
        raise unittest.SkipTest(str(e))
    if pull:
        try:
            session.pull()
        except BaseException:
            session.close()
            raise
    return session
