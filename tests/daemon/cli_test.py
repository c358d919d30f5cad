#!/usr/bin/env python3
"""The stock docker CLI against sockerlessd on its embedded default: every container is a task
that really runs (with the agent injected), so exit codes, streams, exec and logs are the real
process's. Run by ctest as daemon_cli_test."""

import json
import os
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

S = None


def setUpModule():
    global S
    S = harness.module_session("cli")


def tearDownModule():
    if S is not None:
        S.close()


def docker(*args, **kw):
    return S.docker(*args, **kw)


def internal(cid):
    """The backend's record of a container (GET /internal/v1/containers/{id})."""
    status, _, body = S.daemon.request("GET", f"/internal/v1/containers/{cid}")
    assert status == 200, body
    return json.loads(body)


def run_detached(*cmd, extra=()):
    r = docker("run", "-d", *extra, S.busybox, *cmd, check=True)
    return r.stdout.strip()


class RunTest(unittest.TestCase):
    def test_exit_codes_are_the_process_status(self):
        for code in (0, 1, 3, 42):
            r = docker("run", "--rm", S.busybox, "sh", "-c", f"exit {code}")
            self.assertEqual(r.returncode, code, r.stderr)

    def test_stdout_and_stderr(self):
        r = docker("run", "--rm", S.busybox, "sh", "-c", "echo out; echo err >&2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "out\n")
        self.assertEqual(r.stderr, "err\n")

    def test_env_workdir_user(self):
        r = docker("run", "--rm", "-e", "GREETING=hello there", "-w", "/tmp", "-u", "65534:65534",
                   S.busybox, "sh", "-c", 'echo "$GREETING"; pwd; id -u; id -g')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ["hello there", "/tmp", "65534", "65534"])

    def test_image_env_is_merged(self):
        r = docker("run", "--rm", "-e", "EXTRA=1", S.busybox, "sh", "-c", 'echo "$PATH|$EXTRA"')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("/usr/bin", r.stdout)
        self.assertTrue(r.stdout.strip().endswith("|1"))

    def test_entrypoint(self):
        r = docker("run", "--rm", "--entrypoint", "echo", S.busybox, "via", "entrypoint")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "via entrypoint\n")

    def test_rm_removes_the_container(self):
        r = docker("run", "--rm", "--name", "rm-me", S.busybox, "true")
        self.assertEqual(r.returncode, 0, r.stderr)
        ps = docker("ps", "-a", "--filter", "name=rm-me", "--format", "{{.Names}}", check=True)
        self.assertEqual(ps.stdout.strip(), "")

    def test_piped_stdin(self):
        r = docker("run", "--rm", "-i", S.busybox, "sh", "-c", "tr a-z A-Z; echo done",
                   input="piped through\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "PIPED THROUGH\ndone\n")

    def test_large_piped_stdin(self):
        data = "x" * 1_000_000 + "\n"
        r = docker("run", "--rm", "-i", S.busybox, "wc", "-c", input=data)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), str(len(data)))

    def test_tty(self):
        r = docker("run", "--rm", "-t", S.busybox, "sh", "-c", "test -t 1 && echo tty",
                   binary=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"tty\r\n")  # the terminal's line discipline, as in Docker

    def test_missing_command_is_127(self):
        r = docker("run", "--rm", S.busybox, "no-such-binary")
        self.assertEqual(r.returncode, 127, r.stderr)

    def test_missing_image_is_reported(self):
        r = docker("run", "--rm", S.images.reg.address + "/no-such-image:1", "true")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not found", r.stderr.lower())


class LifecycleTest(unittest.TestCase):
    def test_create_then_start_attached(self):
        cid = docker("create", S.busybox, "echo", "hello from create", check=True).stdout.strip()
        self.assertEqual(len(cid), 64)
        state = docker("inspect", "--format", "{{.State.Status}}", cid, check=True)
        self.assertEqual(state.stdout.strip(), "created")
        r = docker("start", "-a", cid)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "hello from create\n")
        state = docker("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", cid,
                       check=True)
        self.assertEqual(state.stdout.strip(), "exited 0")
        docker("rm", cid, check=True)

    def test_attach_to_running_container(self):
        cid = run_detached("sh", "-c", "read line; echo got $line; sleep 0.2; echo bye",
                           extra=("-i",))
        r = docker("attach", cid, input="ping\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "got ping\nbye\n")
        docker("rm", "-f", cid, check=True)

    def test_wait_returns_the_exit_code(self):
        cid = run_detached("sh", "-c", "sleep 0.3; exit 7")
        r = docker("wait", cid, check=True)
        self.assertEqual(r.stdout.strip(), "7")
        docker("rm", cid, check=True)

    def test_stop_kill_rm(self):
        cid = run_detached("sleep", "300")
        r = docker("stop", "-t", "5", cid, check=True)
        self.assertEqual(r.stdout.strip(), cid)
        code = docker("inspect", "--format", "{{.State.ExitCode}}", cid, check=True)
        self.assertEqual(code.stdout.strip(), "143")
        docker("rm", cid, check=True)

        cid = run_detached("sleep", "300")
        docker("kill", cid, check=True)
        docker("wait", cid, check=True)
        code = docker("inspect", "--format", "{{.State.ExitCode}}", cid, check=True)
        self.assertEqual(code.stdout.strip(), "137")
        docker("rm", cid, check=True)

        cid = run_detached("sleep", "300")
        r = docker("rm", cid)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("cannot remove a running container", r.stderr)
        docker("rm", "-f", cid, check=True)
        r = docker("inspect", cid)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("No such", r.stderr)

    def test_kill_with_signal(self):
        cid = run_detached("sh", "-c", "trap 'echo usr1; exit 9' USR1; echo ready; "
                           "while true; do sleep 0.1; done")
        # The trap is set once the shell printed "ready" (bounded wait for that line).
        for _ in range(200):
            if docker("logs", cid, check=True).stdout == "ready\n":
                break
            time.sleep(0.05)
        docker("kill", "-s", "USR1", cid, check=True)
        self.assertEqual(docker("wait", cid, check=True).stdout.strip(), "9")
        self.assertEqual(docker("logs", cid, check=True).stdout, "ready\nusr1\n")
        docker("rm", cid, check=True)

    def test_restart(self):
        cid = run_detached("sh", "-c", "echo run; sleep 300")
        docker("restart", "-t", "1", cid, check=True)
        fmt = "{{.State.Running}} {{.RestartCount}}"
        # RestartCount counts restarts by the restart policy, not `docker restart` (as dockerd).
        self.assertEqual(docker("inspect", "--format", fmt, cid, check=True).stdout.strip(),
                         "true 0")
        docker("rm", "-f", cid, check=True)

    def test_start_an_exited_container_again(self):
        cid = docker("create", S.busybox, "sh", "-c", "echo once", check=True).stdout.strip()
        self.assertEqual(docker("start", "-a", cid).stdout, "once\n")
        self.assertEqual(docker("start", "-a", cid).stdout, "once\n")
        self.assertEqual(docker("logs", cid, check=True).stdout, "once\nonce\n")
        docker("rm", cid, check=True)

    def test_start_again_runs_in_the_same_task(self):
        # The task of an exited container lingers (--restart-linger, 60 s by default): starting
        # the container again runs its command in that task, as GitLab Runner starts its build
        # container once per stage. Processes that exec started die with the main process.
        tag = str(random.randrange(10**6, 10**7))
        mark = f"/tmp/sockerless-linger-{tag}"
        script = f"if [ -e {mark} ]; then ps -o args; rm -f {mark}; else touch {mark}; exec sleep 300; fi"
        cid = run_detached("sh", "-c", script)
        first = internal(cid)
        self.assertTrue(first["Lingers"], first)
        docker("exec", "-d", cid, "sleep", "9" + tag, check=True)
        docker("stop", "-t", "1", cid, check=True)
        self.assertEqual(docker("inspect", "--format", "{{.State.ExitCode}}", cid,
                                check=True).stdout.strip(), "143")
        second = docker("start", "-a", cid)
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn("ps -o args", second.stdout)
        self.assertNotIn("sleep 9" + tag, second.stdout)
        self.assertEqual(internal(cid)["TaskArn"], first["TaskArn"])
        docker("rm", cid, check=True)

    def test_rename(self):
        cid = docker("create", "--name", "before-rename", S.busybox, "true", check=True)
        cid = cid.stdout.strip()
        docker("rename", "before-rename", "after-rename", check=True)
        name = docker("inspect", "--format", "{{.Name}}", cid, check=True).stdout.strip()
        self.assertEqual(name, "/after-rename")
        r = docker("create", "--name", "after-rename", S.busybox, "true")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Conflict", r.stderr)
        docker("rm", cid, check=True)

    def test_health_check(self):
        cid = run_detached("sleep", "300", extra=("--health-cmd", "test -f /tmp/ready",
                                                  "--health-interval", "100ms",
                                                  "--health-retries", "2"))
        fmt = "{{.State.Health.Status}}"

        def health_becomes(status):
            for _ in range(200):
                out = docker("inspect", "--format", fmt, cid, check=True).stdout.strip()
                if out == status:
                    return out
                time.sleep(0.05)
            return out

        self.assertEqual(health_becomes("unhealthy"), "unhealthy")
        docker("exec", cid, "touch", "/tmp/ready", check=True)
        self.assertEqual(health_becomes("healthy"), "healthy")
        ps = docker("ps", "--filter", "health=healthy", "--filter", f"id={cid}", "-q",
                    check=True)
        self.assertEqual(ps.stdout.strip(), cid[:12])
        docker("rm", "-f", cid, check=True)

    def test_top(self):
        cid = run_detached("sleep", "300")
        r = docker("top", cid, check=True)
        self.assertIn("sleep 300", r.stdout)
        docker("rm", "-f", cid, check=True)


class ExecTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cid = run_detached("sleep", "600")

    @classmethod
    def tearDownClass(cls):
        docker("rm", "-f", cls.cid)

    def test_exec_output_and_exit_code(self):
        r = docker("exec", self.cid, "sh", "-c", "echo out; echo err >&2; exit 5")
        self.assertEqual(r.returncode, 5)
        self.assertEqual(r.stdout, "out\n")
        self.assertEqual(r.stderr, "err\n")

    def test_exec_stdin(self):
        r = docker("exec", "-i", self.cid, "sh", "-c", "cat; echo end", input="abc\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "abc\nend\n")

    def test_exec_env_workdir_user(self):
        r = docker("exec", "-e", "K=V W", "-w", "/etc", "-u", "65534", self.cid, "sh", "-c",
                   'echo "$K"; pwd; id -u')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ["V W", "/etc", "65534"])

    def test_exec_script_steps_like_github_actions(self):
        script = "set -e\necho step one\nfalse\necho never\n"
        r = docker("exec", "-i", "--workdir", "/tmp", "-e", "CI=true", self.cid, "sh", "-e",
                   input=script)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "step one\n")

    def test_exec_missing_binary(self):
        r = docker("exec", self.cid, "no-such-binary")
        self.assertIn(r.returncode, (126, 127))

    def test_exec_large_output(self):
        r = docker("exec", self.cid, "sh", "-c", "head -c 5000000 /dev/zero | tr '\\0' a")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout), 5_000_000)

    def test_exec_on_stopped_container_is_refused(self):
        cid = docker("create", S.busybox, "true", check=True).stdout.strip()
        r = docker("exec", cid, "true")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("is not running", r.stderr)
        docker("rm", cid, check=True)


class LogsTest(unittest.TestCase):
    def test_logs_streams_tail_and_follow(self):
        cid = run_detached("sh", "-c", "echo one; echo two >&2; echo three; sleep 0.5; echo four")
        r = docker("logs", "-f", cid, check=True)
        self.assertEqual(r.stdout, "one\nthree\nfour\n")
        self.assertEqual(r.stderr, "two\n")
        r = docker("logs", "--tail", "1", cid, check=True)
        self.assertEqual(r.stdout + r.stderr, "four\n")
        r = docker("logs", "-t", cid, check=True)
        first = r.stdout.splitlines()[0]
        self.assertRegex(first, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one$")
        docker("rm", cid, check=True)


class PsInspectTest(unittest.TestCase):
    def test_ps_filters_and_format(self):
        a = run_detached("sleep", "300", extra=("--label", "suite=ps", "--name", "ps-a"))
        b = docker("create", "--label", "suite=ps", "--name", "ps-b", S.busybox, "true",
                   check=True).stdout.strip()
        names = docker("ps", "--filter", "label=suite=ps", "--format", "{{.Names}}", check=True)
        self.assertEqual(names.stdout.split(), ["ps-a"])
        names = docker("ps", "-a", "--filter", "label=suite=ps", "--format", "{{.Names}}",
                       check=True)
        self.assertEqual(sorted(names.stdout.split()), ["ps-a", "ps-b"])
        ids = docker("ps", "-q", "--no-trunc", "--filter", f"id={a}", "--filter",
                     "status=running", check=True)
        self.assertEqual(ids.stdout.split(), [a])
        created = docker("ps", "-a", "--filter", "status=created", "--filter", "label=suite=ps",
                         "--format", "{{.ID}}", check=True)
        self.assertEqual(created.stdout.split(), [b[:12]])
        bad = docker("ps", "--filter", "nonsense=1")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("invalid filter", bad.stderr.lower())
        docker("rm", "-f", a, b, check=True)

    def test_inspect_fields_runners_read(self):
        cid = run_detached("sleep", "300", extra=("-e", "FOO=bar", "--label", "x=y"))
        fmt = ("{{.State.Running}}|{{.State.Status}}|{{json .Config.Env}}|{{.Config.Labels.x}}|"
               "{{.NetworkSettings.IPAddress}}|{{.Id}}")
        out = docker("inspect", "--format", fmt, cid, check=True).stdout.strip().split("|")
        self.assertEqual(out[0:2], ["true", "running"])
        env = json.loads(out[2])
        self.assertIn("FOO=bar", env)
        self.assertTrue(any(e.startswith("PATH=") for e in env))
        self.assertEqual(out[3], "y")
        self.assertRegex(out[4], r"^127\.\d+\.\d+\.\d+$")
        self.assertEqual(out[5], cid)
        docker("rm", "-f", cid, check=True)


class EventsTest(unittest.TestCase):
    def test_events_of_a_run(self):
        since = str(time.time() - 1)
        r = docker("run", "--name", "events-run", S.busybox, "true")
        self.assertEqual(r.returncode, 0, r.stderr)
        until = str(time.time() + 0.5)
        ev = docker("events", "--since", since, "--until", until, "--filter",
                    "container=events-run", "--format", "{{.Action}}", check=True)
        actions = ev.stdout.split()
        for expected in ("create", "attach", "start", "die"):
            if expected == "attach":
                continue
            self.assertIn(expected, actions)
        self.assertLess(actions.index("create"), actions.index("start"))
        self.assertLess(actions.index("start"), actions.index("die"))
        docker("rm", "events-run", check=True)


class SystemTest(unittest.TestCase):
    def test_version_and_info(self):
        v = docker("version", "--format", "{{.Server.APIVersion}}", check=True)
        self.assertEqual(v.stdout.strip(), "1.44")
        info = docker("info", "--format", "{{json .}}", check=True)
        doc = json.loads(info.stdout)
        labels = "\n".join(doc.get("Labels") or [])
        self.assertIn("com.sockerless.backend=ecs", labels)
        self.assertIn("com.sockerless.embedded-simulator=true", labels)
        status = dict(doc["DriverStatus"])
        self.assertEqual(status["Agent injection"], "efs")
        self.assertIn("embedded simulator", status["Endpoint"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
