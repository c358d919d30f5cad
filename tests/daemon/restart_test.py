#!/usr/bin/env python3
"""kill -9 the daemon mid-run and start it again on the same state dir: every container is
still there with its state, exit code and agent address; exec, logs and attach into the running
ones work; a container that exited while no daemon was watching has its real exit code. Run by
ctest as daemon_restart_test."""

import json
import os
import random
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

S = None


def setUpModule():
    global S
    S = harness.module_session("restart")


def tearDownModule():
    if S is not None:
        S.close()


def docker(*args, **kw):
    return S.docker(*args, **kw)


def internal(cid):
    status, _, body = S.daemon.request("GET", f"/internal/v1/containers/{cid}")
    assert status == 200, body
    return json.loads(body)


class RestartTest(unittest.TestCase):
    def test_kill9_and_restart_loses_nothing(self):
        running = docker("run", "-d", "--name", "keeps-running", S.busybox, "sh", "-c",
                         "echo before; sleep 600", check=True).stdout.strip()
        exits_later = docker("run", "-d", "--name", "exits-later", "-i", S.busybox, "sh", "-c",
                             "read x; exit 9", check=True).stdout.strip()
        created = docker("create", "--name", "only-created", S.busybox, "true",
                         check=True).stdout.strip()
        exited = docker("run", "--name", "exited-five", S.busybox, "sh", "-c", "exit 5")
        self.assertEqual(exited.returncode, 5)
        self.assertEqual(docker("exec", running, "echo", "alive").stdout, "alive\n")
        before = internal(running)
        self.assertTrue(before["AgentAddress"].startswith("127."))

        S.daemon.kill9()
        # While no daemon watches, one container ends: its exit code must still be known.
        # (Its agent waits on stdin; the task is stopped through the simulator below.)
        S.daemon.start()

        fmt = "{{.Name}} {{.State.Status}} {{.State.ExitCode}}"
        states = {}
        for cid in (running, exits_later, created):
            out = docker("inspect", "--format", fmt, cid, check=True).stdout.split()
            states[out[0]] = out[1:]
        self.assertEqual(states["/keeps-running"], ["running", "0"])
        self.assertEqual(states["/exits-later"], ["running", "0"])
        self.assertEqual(states["/only-created"], ["created", "0"])
        out = docker("inspect", "--format", fmt, "exited-five", check=True).stdout.split()
        self.assertEqual(out[1:], ["exited", "5"])
        self.assertEqual(internal(running)["AgentAddress"], before["AgentAddress"])
        self.assertEqual(internal(running)["TaskArn"], before["TaskArn"])

        self.assertEqual(docker("exec", running, "echo", "still alive").stdout, "still alive\n")
        self.assertEqual(docker("logs", running, check=True).stdout, "before\n")
        r = docker("attach", exits_later, input="go\n")
        self.assertEqual(r.returncode, 9, r.stderr)
        self.assertEqual(docker("wait", exits_later, check=True).stdout.strip(), "9")

        r = docker("stop", "-t", "5", running, check=True)
        code = docker("inspect", "--format", "{{.State.ExitCode}}", running, check=True)
        self.assertEqual(code.stdout.strip(), "143")
        docker("rm", "-f", running, exits_later, created, "exited-five", check=True)

    def test_an_exit_while_the_daemon_is_away_is_found_in_the_lingering_task(self):
        # The main process ends while no daemon watches; its task lingers (the agent outlives
        # it), so the restarted daemon asks the agent how it ended.
        tag = str(random.randrange(10**6, 10**7))
        cid = docker("run", "-d", S.busybox, "sleep", "8" + tag, check=True).stdout.strip()
        task = internal(cid)["TaskArn"]
        S.daemon.kill9()
        # Anchored: the agent's own command line may carry the command too.
        main = f"^sleep 8{tag}$"
        subprocess.run(["pkill", "-TERM", "-f", main], check=True)
        deadline = time.monotonic() + 60
        while (subprocess.run(["pgrep", "-f", main], capture_output=True).returncode == 0
               and time.monotonic() < deadline):
            time.sleep(0.05)
        S.daemon.start()
        fmt = "{{.State.Status}} {{.State.ExitCode}}"
        self.assertEqual(docker("inspect", "--format", fmt, cid, check=True).stdout.split(),
                         ["exited", "143"])
        docker("start", cid, check=True)
        self.assertEqual(docker("inspect", "--format", fmt, cid, check=True).stdout.split(),
                         ["running", "0"])
        self.assertEqual(internal(cid)["TaskArn"], task)
        docker("rm", "-f", cid, check=True)

    def test_a_lingering_task_ends_and_the_next_start_gets_a_new_one(self):
        S.daemon.stop()
        S.daemon.extra_args = ["--restart-linger", "1"]
        S.daemon.start()
        try:
            cid = docker("run", "-d", S.busybox, "echo", "ran", check=True).stdout.strip()
            self.assertEqual(docker("wait", cid, check=True).stdout.strip(), "0")
            first = internal(cid)
            self.assertTrue(first["Lingers"], first)
            deadline = time.monotonic() + 60
            while internal(cid)["Lingers"] and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertFalse(internal(cid)["Lingers"])
            again = docker("start", "-a", cid)
            self.assertEqual(again.stdout, "ran\n", again.stderr)
            self.assertNotEqual(internal(cid)["TaskArn"], first["TaskArn"])
            docker("rm", cid, check=True)
        finally:
            S.daemon.stop()
            S.daemon.extra_args = []
            S.daemon.start()

    def test_a_lost_store_is_rebuilt_from_task_tags(self):
        cid = docker("run", "-d", "--name", "tagged", S.busybox, "sh", "-c",
                     "echo tagged; sleep 600", check=True).stdout.strip()
        done = docker("run", "-d", "--name", "tagged-done", S.busybox, "sh", "-c", "exit 4",
                      check=True).stdout.strip()
        self.assertEqual(docker("wait", done, check=True).stdout.strip(), "4")
        S.daemon.kill9()
        for suffix in ("", "-wal", "-shm"):
            path = os.path.join(S.daemon.state, "sockerless.db" + suffix)
            if os.path.exists(path):
                os.remove(path)
        S.daemon.start()
        fmt = "{{.Name}} {{.State.Status}} {{.State.ExitCode}}"
        self.assertEqual(docker("inspect", "--format", fmt, cid, check=True).stdout.split(),
                         ["/tagged", "running", "0"])
        self.assertEqual(docker("inspect", "--format", fmt, done, check=True).stdout.split(),
                         ["/tagged-done", "exited", "4"])
        self.assertEqual(docker("exec", "tagged", "echo", "reachable").stdout, "reachable\n")
        self.assertIn("recovered from its task", S.daemon.log())
        docker("stop", "-t", "5", "tagged", check=True)
        code = docker("inspect", "--format", "{{.State.ExitCode}}", cid, check=True)
        self.assertEqual(code.stdout.strip(), "143")
        docker("rm", "-f", cid, done, check=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
