#!/usr/bin/env python3
"""Tasks that run from their real image: sockerless-awssim --container-mode image under runc.

Usage: awssim_task_image_test.py PATH/TO/sockerless-awssim PATH/TO/sockerless-agent

Builds the busybox and agent test images (scripts/build-test-images.sh), pushes them to a local
docker-registry and runs ECS tasks from them: the image's filesystem, environment and user, exit
codes and awslogs output, an EFS volume and a task scratch volume as bind mounts, the agent image
answering /health at the task's ENI address, and a pull that fails as ECS reports it. Skips,
saying why, without root, runc, skopeo or docker-registry.
"""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import requests

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "support"))
sys.path.insert(0, os.path.join(REPO, "tests", "conformance"))
import registry  # noqa: E402
from awssim_tasks_test import TaskSim  # noqa: E402

SIM_BINARY = None
AGENT_BINARY = None
CLUSTER = "images"
NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}


class TaskImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (runc, overlay mounts)")
        missing = [t for t in ("runc", "skopeo", registry.BINARY) if not shutil.which(t)]
        if missing:
            raise unittest.SkipTest("needs %s" % " and ".join(missing))
        kind = subprocess.run(["file", "-L", AGENT_BINARY], capture_output=True, text=True)
        if "statically linked" not in kind.stdout:
            raise unittest.SkipTest("needs a static agent for its image (not the sanitizer build)")
        cls.tmp = tempfile.mkdtemp(prefix="awssim-task-image-test-")
        cls.registry = registry.LocalRegistry(os.path.join(cls.tmp, "registry")).start()
        try:
            out = subprocess.run(
                ["bash", os.path.join(REPO, "scripts", "build-test-images.sh"),
                 os.path.join(cls.tmp, "images"), "--agent", AGENT_BINARY,
                 "--push", cls.registry.address], capture_output=True, text=True, timeout=240)
            if out.returncode != 0:
                raise RuntimeError("build-test-images.sh failed: " + out.stderr)
            cls.digests = dict(line.split() for line in out.stdout.splitlines())
            cls.subnet = "127.%d.0.0/16" % random.randint(100, 250)
            cls.sim = TaskSim(SIM_BINARY, ["--task-subnet", cls.subnet, "--container-mode",
                                           "image", "--provisioning-delay", "10"]).start()
        except Exception:
            cls.registry.stop()
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise
        cls.ecs = cls.sim.client("ecs")
        cls.logs = cls.sim.client("logs")
        cls.ecs.create_cluster(clusterName=CLUSTER)
        cls.logs.create_log_group(logGroupName="/images")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.registry.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def image(self, name):
        return "%s/%s:latest" % (self.registry.address, name)

    def register(self, family, containers, **kwargs):
        for c in containers:
            c.setdefault("logConfiguration", {"logDriver": "awslogs", "options": {
                "awslogs-group": "/images", "awslogs-stream-prefix": family}})
        return self.ecs.register_task_definition(
            family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", containerDefinitions=containers,
            **kwargs)["taskDefinition"]["taskDefinitionArn"]

    def run_task(self, td):
        return self.ecs.run_task(cluster=CLUSTER, taskDefinition=td, launchType="FARGATE",
                                 networkConfiguration=NETWORK)["tasks"][0]

    def wait_for(self, arn, statuses, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            task = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]
            if task["lastStatus"] in statuses:
                return task
            self.assertLess(time.monotonic(), deadline, task)
            time.sleep(0.05)

    def output(self, task, container="app", family=None):
        stream = "%s/%s/%s" % (family, container, task["taskArn"].rsplit("/", 1)[1])
        out = self.logs.get_log_events(logGroupName="/images", logStreamName=stream,
                                       startFromHead=True)
        return [e["message"] for e in out["events"]]

    def test_runs_the_image_with_its_environment(self):
        script = "hostname; id -u; echo $PATH; test -x /bin/busybox && pwd; " \
                 "echo written > /etc/scratch && cat /etc/scratch; exit 4"
        td = self.register("basic", [{"name": "app", "image": self.image("busybox"),
                                      "command": ["sh", "-c", script],
                                      "workingDirectory": "/tmp"}])
        task = self.run_task(td)
        stopped = self.wait_for(task["taskArn"], ["STOPPED"])
        c = stopped["containers"][0]
        lines = self.output(task, family="basic")
        self.assertEqual(c["exitCode"], 4, (stopped, lines))
        self.assertEqual(c["imageDigest"], self.digests["busybox"])
        details = {d["name"]: d["value"] for d in stopped["attachments"][0]["details"]}
        self.assertEqual(lines, [details["privateDnsName"], "0",
                                 "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                 "/tmp", "written"])
        self.assertEqual(stopped["stopCode"], "EssentialContainerExited")

    def test_user_and_entrypoint_rules(self):
        td = self.register("user", [{"name": "app", "image": self.image("busybox"),
                                     "user": "nobody", "entryPoint": ["sh", "-c"],
                                     "command": ["id -u; id -g"]}])
        task = self.run_task(td)
        stopped = self.wait_for(task["taskArn"], ["STOPPED"])
        self.assertEqual(stopped["containers"][0]["exitCode"], 0)
        self.assertEqual(self.output(task, family="user"), ["65534", "65534"])

    def test_efs_and_task_volumes(self):
        efs = self.sim.client("efs")
        fs_id = efs.create_file_system(CreationToken="image-test")["FileSystemId"]
        staged = requests.put(self.sim.url + "/_awssim/efs/%s/data/hello.txt" % fs_id,
                              data=b"from efs\n", timeout=10)
        self.assertIn(staged.status_code, (200, 201, 204), staged.text)
        td = self.register("volumes", [
            {"name": "writer", "image": self.image("busybox"), "essential": False,
             "command": ["sh", "-c", "echo shared > /shared/note"],
             "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/shared"}]},
            {"name": "app", "image": self.image("busybox"),
             "command": ["sh", "-c", "cat /mnt/efs/data/hello.txt /shared/note; "
                                     "touch /mnt/efs/nope 2>/dev/null || echo read-only"],
             "dependsOn": [{"containerName": "writer", "condition": "SUCCESS"}],
             "mountPoints": [{"sourceVolume": "data", "containerPath": "/mnt/efs",
                              "readOnly": True},
                             {"sourceVolume": "scratch", "containerPath": "/shared"}]},
        ], volumes=[{"name": "scratch"},
                    {"name": "data", "efsVolumeConfiguration": {"fileSystemId": fs_id}}])
        task = self.run_task(td)
        stopped = self.wait_for(task["taskArn"], ["STOPPED"])
        by = {c["name"]: c for c in stopped["containers"]}
        self.assertEqual(by["writer"]["exitCode"], 0)
        self.assertEqual(by["app"]["exitCode"], 0)
        self.assertEqual(self.output(task, family="volumes"), ["from efs", "shared", "read-only"])

    def test_agent_image_answers_health(self):
        td = self.register("agent", [{"name": "app", "image": self.image("sockerless-agent"),
                                      "command": ["--keep-alive"]}])
        task = self.run_task(td)
        running = self.wait_for(task["taskArn"], ["RUNNING"])
        ip = {d["name"]: d["value"] for d in running["attachments"][0]["details"]}[
            "privateIPv4Address"]
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get("http://%s:9111/health" % ip, timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            self.assertLess(time.monotonic(), deadline, self.output(task, family="agent"))
            time.sleep(0.05)
        self.ecs.stop_task(cluster=CLUSTER, task=task["taskArn"])
        stopped = self.wait_for(task["taskArn"], ["STOPPED"])
        self.assertEqual(stopped["stopCode"], "UserInitiated")

    def test_pull_failure(self):
        td = self.register("nopull", [{"name": "app", "image": self.image("no-such-image"),
                                       "command": ["true"]}])
        task = self.run_task(td)
        stopped = self.wait_for(task["taskArn"], ["STOPPED"])
        self.assertEqual(stopped["stopCode"], "TaskFailedToStart")
        self.assertTrue(stopped["stoppedReason"].startswith("CannotPullContainerError"),
                        stopped["stoppedReason"])
        self.assertNotIn("exitCode", stopped["containers"][0])


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: awssim_task_image_test.py PATH/TO/sockerless-awssim "
                 "PATH/TO/sockerless-agent")
    SIM_BINARY = os.path.abspath(sys.argv.pop(1))
    AGENT_BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
