#!/usr/bin/env python3
"""docker-py (the Docker SDK for Python) against sockerlessd on its embedded default: the same
ground as the CLI suite through the SDK, including attach_socket and exec_start(stream=True,
demux=True). docker-py 7.1 pins API 1.45 by default; the daemon serves it with 1.44 semantics.
Run by ctest as daemon_dockerpy_test."""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

try:
    import docker
    from docker.utils.socket import frames_iter
except ImportError:  # pragma: no cover
    docker = None

S = None
C = None


def setUpModule():
    global S, C
    if docker is None:
        raise unittest.SkipTest("docker-py not installed")
    try:
        S = harness.Session("dockerpy")
    except harness.Skip as e:
        raise unittest.SkipTest(str(e))
    C = docker.DockerClient(base_url=S.daemon.host, timeout=120)
    C.images.pull(S.busybox)


def tearDownModule():
    if C is not None:
        C.close()
    if S is not None:
        S.close()


class SdkTest(unittest.TestCase):
    def test_ping_and_version(self):
        self.assertTrue(C.ping())
        self.assertEqual(C.version()["ApiVersion"], "1.44")

    def test_run_returns_output_and_raises_on_failure(self):
        out = C.containers.run(S.busybox, ["sh", "-c", "echo hi"], remove=True)
        self.assertEqual(out, b"hi\n")
        with self.assertRaises(docker.errors.ContainerError) as ctx:
            C.containers.run(S.busybox, ["sh", "-c", "echo bad >&2; exit 3"], remove=True)
        self.assertEqual(ctx.exception.exit_status, 3)

    def test_lifecycle_and_wait(self):
        c = C.containers.create(S.busybox, ["sh", "-c", "echo $A; exit 4"],
                                environment={"A": "from env"}, labels={"suite": "py"})
        self.assertEqual(c.status, "created")
        c.start()
        self.assertEqual(c.wait(timeout=60), {"StatusCode": 4, "Error": None})
        c.reload()
        self.assertEqual(c.status, "exited")
        self.assertEqual(c.attrs["State"]["ExitCode"], 4)
        self.assertEqual(c.logs(), b"from env\n")
        listed = C.containers.list(all=True, filters={"label": "suite=py"})
        self.assertEqual([x.id for x in listed], [c.id])
        c.remove()
        with self.assertRaises(docker.errors.NotFound):
            C.containers.get(c.id)

    def test_exec_stream_demux(self):
        c = C.containers.run(S.busybox, ["sleep", "300"], detach=True)
        try:
            api = C.api
            e = api.exec_create(c.id, ["sh", "-c", "echo out; echo err >&2; echo out2"])
            chunks = list(api.exec_start(e["Id"], stream=True, demux=True))
            out = b"".join(o for o, _ in chunks if o)
            err = b"".join(x for _, x in chunks if x)
            self.assertEqual(out, b"out\nout2\n")
            self.assertEqual(err, b"err\n")
            info = api.exec_inspect(e["Id"])
            self.assertEqual(info["ExitCode"], 0)
            self.assertFalse(info["Running"])
            code, output = c.exec_run(["sh", "-c", "exit 6"])
            self.assertEqual(code, 6)
        finally:
            c.remove(force=True)

    def test_attach_socket_before_start(self):
        # GitLab Runner's pattern: attach, write the script to stdin, half-close, read to EOF.
        # stdin_open sets OpenStdin, AttachStdin and StdinOnce, as GitLab Runner does.
        created = C.api.create_container(S.busybox, ["sh"], stdin_open=True)
        c = C.containers.get(created["Id"])
        try:
            sock = C.api.attach_socket(c.id, params={"stdin": 1, "stdout": 1, "stderr": 1,
                                                     "stream": 1})
            raw = sock._sock
            c.start()
            raw.sendall(b"echo from script; echo to stderr >&2; exit 3\n")
            raw.shutdown(socket.SHUT_WR)
            out = b""
            err = b""
            for stream, data in frames_iter(sock, tty=False):
                if stream == 1:
                    out += data
                elif stream == 2:
                    err += data
            sock.close()
            self.assertEqual(out, b"from script\n")
            self.assertEqual(err, b"to stderr\n")
            self.assertEqual(c.wait(timeout=60)["StatusCode"], 3)
        finally:
            c.remove(force=True)

    def test_same_container_started_again(self):
        c = C.containers.create(S.busybox, ["sh", "-c", "echo stage"])
        try:
            for _ in range(2):
                c.start()
                self.assertEqual(c.wait(timeout=60)["StatusCode"], 0)
            self.assertEqual(c.logs(), b"stage\nstage\n")
        finally:
            c.remove(force=True)

    def test_stop_and_kill(self):
        c = C.containers.run(S.busybox, ["sleep", "300"], detach=True)
        c.stop(timeout=5)
        c.reload()
        self.assertEqual(c.attrs["State"]["ExitCode"], 143)
        c.remove()

    def test_errors(self):
        with self.assertRaises(docker.errors.NotFound):
            C.containers.get("0" * 64)
        with self.assertRaises(docker.errors.ImageNotFound):
            C.containers.create(S.images.reg.address + "/nope:none", ["true"])
        with self.assertRaises(docker.errors.APIError) as ctx:
            C.containers.list(filters={"bogus": "1"})
        self.assertEqual(ctx.exception.response.status_code, 400)

    def test_events_generator(self):
        since = int(time.time()) - 1
        c = C.containers.run(S.busybox, ["true"], detach=True)
        c.wait(timeout=60)
        until = int(time.time()) + 1
        actions = [e["Action"] for e in C.events(since=since, until=until, decode=True,
                                                 filters={"container": c.id})]
        self.assertIn("create", actions)
        self.assertIn("start", actions)
        self.assertIn("die", actions)
        c.remove()


if __name__ == "__main__":
    unittest.main(verbosity=2)
