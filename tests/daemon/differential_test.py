#!/usr/bin/env python3
"""The same scenarios against sockerlessd and against a real dockerd (Debian's docker.io), with
the same docker CLI and the same image from one local registry: exit codes, outputs, API status
codes and the inspect fields clients read must match. Needs root and dockerd; skips otherwise.
Run by ctest as daemon_differential_test.

Known, documented deviations are not compared (docs/daemon.md, "Differences from Docker"): the
main process is not PID 1 in the task (the agent is), so a process that ignores SIGTERM as PID 1
under Docker is stopped by SIGTERM here.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROOT = None
IMAGES = None
PEERS = {}


class Dockerd:
    def __init__(self, root):
        self.dir = os.path.join(root, "dockerd")
        os.makedirs(self.dir)
        self.sock = os.path.join(self.dir, "docker.sock")
        self.proc = None

    @property
    def host(self):
        return "unix://" + self.sock

    def start(self):
        binary = shutil.which("dockerd")
        if binary is None or os.geteuid() != 0:
            raise harness.Skip("dockerd and root are needed for the reference")
        log = open(os.path.join(self.dir, "dockerd.log"), "ab")
        self.proc = subprocess.Popen(
            [binary, "--data-root", os.path.join(self.dir, "data"), "--exec-root",
             os.path.join(self.dir, "exec"), "--pidfile", os.path.join(self.dir, "dockerd.pid"),
             "-H", self.host, "--iptables=false", "--ip6tables=false", "--bridge=none",
             "--ip-masq=false"], stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise harness.Skip("dockerd did not start: " + self.log())
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(self.sock)
                return self
            except OSError:
                time.sleep(0.05)
        raise harness.Skip("dockerd did not answer in time")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self):
        with open(os.path.join(self.dir, "dockerd.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")[-3000:]


def setUpModule():
    global ROOT, IMAGES
    ROOT = tempfile.mkdtemp(prefix="sockerless-diff-")
    try:
        if harness.DOCKER is None:
            raise harness.Skip("docker CLI not installed")
        sockerless = harness.Daemon(ROOT)
        dockerd = Dockerd(ROOT).start()
        PEERS["dockerd"] = dockerd
        IMAGES = harness.Images.get(ROOT)
        PEERS["sockerless"] = sockerless.start()
    except harness.Skip as e:
        tearDownModule()
        raise unittest.SkipTest(str(e))
    for name in PEERS:
        run(name, "pull", "-q", IMAGES.busybox)


def tearDownModule():
    for p in PEERS.values():
        p.stop()
    if harness.Images._instance:
        harness.Images._instance.stop()
        harness.Images._instance = None
    shutil.rmtree(ROOT, ignore_errors=True)


def run(peer, *args, input=None):
    env = dict(os.environ, DOCKER_HOST=PEERS[peer].host,
               DOCKER_CONFIG=os.path.join(ROOT, "docker-config-" + peer))
    return subprocess.run([harness.DOCKER, *args], input=input, capture_output=True, text=True,
                          env=env, timeout=120)


def api(peer, method, path, body=None):
    """(status, parsed JSON or None) over the peer's socket, API 1.41 (what both serve)."""
    status, _, rest = harness.unix_request(PEERS[peer].sock, method, "/v1.41" + path,
                                           b"" if body is None else body, timeout=60)
    try:
        return status, json.loads(rest) if rest.strip() else None
    except ValueError:
        return status, None


# Each scenario returns a dict of observations; both peers must give the same dict.
NET = ("--network", "none")


def sc_run_streams(p):
    r = run(p, "run", "--rm", *NET, IMAGES.busybox, "sh", "-c", "echo out; echo err >&2; exit 3")
    return {"rc": r.returncode, "out": r.stdout, "err": r.stderr}


def sc_run_env_workdir_user(p):
    r = run(p, "run", "--rm", *NET, "-e", "A=b c", "-w", "/tmp", "-u", "65534:65534",
            IMAGES.busybox, "sh", "-c", 'echo "$A"; pwd; id -u; id -g; echo "$HOME"')
    return {"rc": r.returncode, "out": r.stdout}


def sc_run_stdin(p):
    r = run(p, "run", "--rm", "-i", *NET, IMAGES.busybox, "sh", "-c", "tr a-z A-Z",
            input="some input\nmore\n")
    return {"rc": r.returncode, "out": r.stdout}


def sc_entrypoint(p):
    r = run(p, "run", "--rm", *NET, "--entrypoint", "echo", IMAGES.busybox, "a", "b")
    return {"rc": r.returncode, "out": r.stdout}


def sc_missing_command(p):
    r = run(p, "run", "--rm", *NET, IMAGES.busybox, "no-such-command")
    return {"rc": r.returncode,
            "says": "executable file not found" in r.stderr}


def sc_create_start_attach(p):
    cid = run(p, "create", *NET, IMAGES.busybox, "sh", "-c", "echo created; exit 2").stdout.strip()
    before = run(p, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", cid).stdout
    r = run(p, "start", "-a", cid)
    after = run(p, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", cid).stdout
    again = run(p, "start", "-a", cid)
    logs = run(p, "logs", cid).stdout
    run(p, "rm", cid)
    return {"before": before, "rc": r.returncode, "out": r.stdout, "after": after,
            "again": (again.returncode, again.stdout), "logs": logs}


INSPECT_FIELDS = ("{{.State.Status}}|{{.State.Running}}|{{.State.ExitCode}}|{{json .Config.Cmd}}|"
                  "{{json .Config.Entrypoint}}|{{.Path}}|{{json .Args}}|{{.Config.WorkingDir}}|"
                  "{{.Config.User}}|{{json .Config.Labels}}|{{.Name}}|{{.RestartCount}}|"
                  "{{.HostConfig.AutoRemove}}|{{.Config.Tty}}|{{.Config.OpenStdin}}|"
                  "{{.Config.AttachStdout}}|{{.Config.StdinOnce}}|{{.Config.Image}}|"
                  "{{json .HostConfig.RestartPolicy}}")


def sc_exec_and_inspect(p):
    name = "diff-exec"
    run(p, "rm", "-f", name)
    cid = run(p, "run", "-d", *NET, "--name", name, "-e", "FOO=bar", "--label", "k=v",
              IMAGES.busybox, "sleep", "300").stdout.strip()
    out = {}
    r = run(p, "exec", name, "sh", "-c", "echo out; echo err >&2; exit 5")
    out["exec"] = (r.returncode, r.stdout, r.stderr)
    r = run(p, "exec", "-i", name, "cat", input="abc\n")
    out["exec_i"] = (r.returncode, r.stdout)
    r = run(p, "exec", "-e", "X=1", "-w", "/etc", "-u", "65534", name, "sh", "-c",
            'echo "$X $FOO"; pwd; id -u')
    out["exec_env"] = (r.returncode, r.stdout)
    r = run(p, "exec", name, "no-such-command")
    out["exec_missing"] = (r.returncode, "executable file not found" in r.stdout + r.stderr)
    out["inspect"] = run(p, "inspect", "--format", INSPECT_FIELDS, name).stdout
    env = json.loads(run(p, "inspect", "--format", "{{json .Config.Env}}", name).stdout)
    out["env"] = sorted(env)
    out["ps"] = run(p, "ps", "--filter", "name=diff-exec", "--format",
                    "{{.Names}} {{.Command}} {{.State}}").stdout
    run(p, "kill", name)
    out["wait"] = run(p, "wait", name).stdout
    out["after_kill"] = run(p, "inspect", "--format", INSPECT_FIELDS, name).stdout
    out["ps_exited"] = run(p, "ps", "-a", "--filter", "name=diff-exec", "--filter",
                           "exited=137", "--format", "{{.Names}} {{.State}}").stdout
    run(p, "rm", cid)
    return out


def sc_signals(p):
    cid = run(p, "run", "-d", *NET, IMAGES.busybox, "sh", "-c",
              "trap 'echo got usr1; exit 9' USR1; echo ready; while true; do sleep 0.05; done"
              ).stdout.strip()
    for _ in range(200):
        if "ready" in run(p, "logs", cid).stdout:
            break
        time.sleep(0.05)
    run(p, "kill", "-s", "USR1", cid)
    code = run(p, "wait", cid).stdout
    logs = run(p, "logs", cid).stdout
    run(p, "rm", cid)
    return {"code": code, "logs": logs}


def sc_logs(p):
    # stdout and stderr reach a daemon through separate pipes, so their relative order in the log
    # is not defined: the tail and the timestamps are taken of a container that writes stdout alone.
    lines = "for i in 1 2 3 4 5; do echo line $i; done"
    cid = run(p, "run", "-d", *NET, IMAGES.busybox, "sh", "-c", "echo e >&2; " + lines).stdout.strip()
    only_out = run(p, "run", "-d", *NET, IMAGES.busybox, "sh", "-c", lines).stdout.strip()
    run(p, "wait", cid, only_out)
    r = run(p, "logs", cid)
    tail = run(p, "logs", "--tail", "2", only_out)
    stamped = run(p, "logs", "-t", only_out).stdout.splitlines()
    run(p, "rm", cid, only_out)
    return {"out": r.stdout, "err": r.stderr, "tail": tail.stdout,
            "stamped": all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line \d$", s)
                           for s in stamped)}


def sc_restart_rename(p):
    run(p, "rm", "-f", "diff-r1", "diff-r2")
    run(p, "run", "-d", *NET, "--name", "diff-r1", IMAGES.busybox, "sleep", "300")
    run(p, "restart", "-t", "0", "diff-r1")
    a = run(p, "inspect", "--format", "{{.State.Status}} {{.RestartCount}}", "diff-r1").stdout
    run(p, "rename", "diff-r1", "diff-r2")
    b = run(p, "inspect", "--format", "{{.Name}}", "diff-r2").stdout
    run(p, "rm", "-f", "diff-r2")
    return {"restart": a, "rename": b}


def sc_status_codes(p):
    out = {}
    out["inspect_missing"] = api(p, "GET", "/containers/does-not-exist/json")[0]
    status, created = api(p, "POST", "/containers/create?name=diff-codes",
                          {"Image": IMAGES.busybox, "Cmd": ["sleep", "300"],
                           "HostConfig": {"NetworkMode": "none"}})
    out["create"] = status
    out["create_conflict"] = api(p, "POST", "/containers/create?name=diff-codes",
                                 {"Image": IMAGES.busybox, "Cmd": ["true"]})[0]
    out["kill_not_running"] = api(p, "POST", "/containers/diff-codes/kill")[0]
    out["stop_not_running"] = api(p, "POST", "/containers/diff-codes/stop")[0]
    out["exec_not_running"] = api(p, "POST", "/containers/diff-codes/exec", {"Cmd": ["true"]})[0]
    out["start"] = api(p, "POST", "/containers/diff-codes/start")[0]
    out["start_again"] = api(p, "POST", "/containers/diff-codes/start")[0]
    out["rm_running"] = api(p, "DELETE", "/containers/diff-codes")[0]
    out["rm_force"] = api(p, "DELETE", "/containers/diff-codes?force=1")[0]
    out["unknown_image"] = api(p, "POST", "/containers/create",
                               {"Image": "never-pulled-image:1", "Cmd": ["true"]})[0]
    out["bad_filter"] = api(p, "GET", "/containers/json?filters=%7B%22nope%22%3A%5B%22x%22%5D%7D")[0]
    out["wait_missing"] = api(p, "POST", "/containers/does-not-exist/wait")[0]
    out["exec_missing"] = api(p, "GET", "/exec/does-not-exist/json")[0]
    out["no_command"] = api(p, "POST", "/containers/create",
                            {"Image": IMAGES.busybox, "Entrypoint": [], "Cmd": []})
    out["no_command"] = out["no_command"][0]
    return out


class DifferentialTest(unittest.TestCase):
    def compare(self, scenario):
        results = {name: scenario(name) for name in ("dockerd", "sockerless")}
        self.assertEqual(results["sockerless"], results["dockerd"],
                         f"{scenario.__name__}: sockerless differs from dockerd")


for _fn in [v for k, v in list(globals().items()) if k.startswith("sc_")]:
    setattr(DifferentialTest, "test_" + _fn.__name__[3:],
            (lambda fn: lambda self: self.compare(fn))(_fn))


if __name__ == "__main__":
    unittest.main(verbosity=2)
