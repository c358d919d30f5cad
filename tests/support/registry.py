#!/usr/bin/env python3
"""A local docker-registry (Debian's distribution 2.x) for tests, started and stopped by PID.

As a module:
    with registry.LocalRegistry(directory) as reg:   # or reg.start() / reg.stop()
        reg.address   # "127.0.0.1:PORT"
        reg.url       # "http://127.0.0.1:PORT"

As a command, for shell and C++ tests:
    registry.py start --dir D [--host 127.x.y.z] [--port N]
        prints the address (HOST:PORT) and then the PID file's path, one per line, and returns
        once /v2/ answers; the registry keeps running in its own session.
    registry.py stop --dir D
        stops the registry whose PID is in D/registry.pid and waits until it is gone.

D holds config.yml, storage/, registry.log, registry.pid and registry.addr; deletes are enabled
(storage.delete.enabled). Without a port, a free one is found by binding HOST:0; should another
process take it before the registry binds it, another is tried.
"""

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

BINARY = os.environ.get("DOCKER_REGISTRY", "docker-registry")
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
PORT_ATTEMPTS = 5

CONFIG = """version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: {host}:{port}
  secret: {secret}
"""


# The registry is on loopback: never through an http_proxy from the environment.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port(host):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def answers(url, timeout=1.0):
    try:
        with DIRECT.open(url + "/v2/", timeout=timeout) as response:
            return response.status == 200
    except urllib.error.HTTPError as e:
        return e.code == 401  # a registry with auth still answers
    except OSError:
        return False


def process_gone(pid):
    """True once pid no longer runs (exited, or a zombie that is not ours to reap)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True


def is_registry(pid, config):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return any(a.endswith(b"docker-registry") for a in argv) and os.fsencode(config) in argv


class LocalRegistry:
    def __init__(self, directory, host="127.0.0.1", port=None):
        self.directory = os.path.abspath(directory)
        self.host = host
        self.port = port
        self.process = None
        self.pid = None

    @property
    def config_path(self):
        return os.path.join(self.directory, "config.yml")

    @property
    def pid_path(self):
        return os.path.join(self.directory, "registry.pid")

    @property
    def address(self):
        return "%s:%d" % (self.host, self.port)

    @property
    def url(self):
        return "http://" + self.address

    def start(self, detach=False):
        """Starts the registry and waits until /v2/ answers. detach: in its own session, with
        no pipe to this process, so it outlives it (the CLI's start)."""
        os.makedirs(os.path.join(self.directory, "storage"), exist_ok=True)
        attempts = 1 if self.port else PORT_ATTEMPTS
        fixed = self.port
        last_error = None
        for _ in range(attempts):
            self.port = fixed or free_port(self.host)
            try:
                self._start_once(detach)
                return self
            except RuntimeError as e:
                last_error = e
        raise last_error

    def _start_once(self, detach):
        with open(self.config_path, "w") as f:
            f.write(CONFIG.format(storage=os.path.join(self.directory, "storage"),
                                  host=self.host, port=self.port,
                                  secret=secrets.token_hex(16)))
        log = open(os.path.join(self.directory, "registry.log"), "ab")
        try:
            self.process = subprocess.Popen([BINARY, "serve", self.config_path],
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            start_new_session=detach)
        finally:
            log.close()
        self.pid = self.process.pid
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(self.url):
            if self.process.poll() is not None:
                raise RuntimeError("docker-registry exited with %d on %s; see %s" %
                                   (self.process.returncode, self.address,
                                    os.path.join(self.directory, "registry.log")))
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("docker-registry did not answer on %s within %.0f s" %
                                   (self.address, START_TIMEOUT))
            time.sleep(0.05)
        if self.process.poll() is not None:  # another server took the port and answered
            raise RuntimeError("docker-registry exited with %d on %s" %
                               (self.process.returncode, self.address))
        with open(self.pid_path, "w") as f:
            f.write("%d\n" % self.pid)
        with open(os.path.join(self.directory, "registry.addr"), "w") as f:
            f.write(self.address + "\n")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        elif self.pid is not None:
            stop_pid(self.pid, self.config_path)
        self.pid = None
        try:
            os.unlink(self.pid_path)
        except FileNotFoundError:
            pass

    def __enter__(self):
        if self.process is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


def stop_pid(pid, config):
    """Stops a registry that is not our child: SIGTERM, then SIGKILL after STOP_TIMEOUT."""
    if process_gone(pid) or not is_registry(pid, config):
        return
    for sig, timeout in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, STOP_TIMEOUT)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process_gone(pid):
                return
            time.sleep(0.02)
    raise RuntimeError("docker-registry %d did not exit" % pid)


def main(argv):
    parser = argparse.ArgumentParser(description="Start or stop a local docker-registry.")
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start")
    start.add_argument("--dir", required=True)
    start.add_argument("--host", default="127.0.0.1")
    start.add_argument("--port", type=int)
    stop = sub.add_parser("stop")
    stop.add_argument("--dir", required=True)
    args = parser.parse_args(argv)

    if args.command == "start":
        reg = LocalRegistry(args.dir, host=args.host, port=args.port)
        reg.start(detach=True)
        print(reg.address)
        print(reg.pid_path)
        return 0

    reg = LocalRegistry(args.dir)
    try:
        with open(reg.pid_path) as f:
            pid = int(f.read().strip())
    except FileNotFoundError:
        print("registry.py: no %s" % reg.pid_path, file=sys.stderr)
        return 1
    stop_pid(pid, reg.config_path)
    os.unlink(reg.pid_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
