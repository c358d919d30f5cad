#!/usr/bin/env python3
"""Tasks that really run in sockerless-awssim, checked with boto3 and the aws CLI.

Usage: awssim_tasks_test.py PATH/TO/sockerless-awssim PATH/TO/sockerless-agent

Starts the simulator on a free port with a private state dir and its own task subnet, runs
tasks whose containers are host processes, and checks what ECS reports about them (statuses,
exit codes, stop codes and reasons, ENI attachments), the limits RunTask enforces, the task
endpoints, CloudWatch Logs and the injected faults. Every wait is a bounded poll of
DescribeTasks; the simulator is stopped by its PID.
"""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import requests
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awssim_harness import AwsSim, LISTENING  # noqa: E402

SIM_BINARY = None
AGENT_BINARY = None
CLUSTER = "tasks"
SUBNET = "subnet-0123456789abcdef0"
NETWORK = {"awsvpcConfiguration": {"subnets": [SUBNET], "securityGroups": ["sg-1"],
                                   "assignPublicIp": "DISABLED"}}
TERMINAL = "STOPPED"


class TaskSim(AwsSim):
    """The harness's simulator, with the task runner's flags."""

    def __init__(self, binary, extra_args):
        super().__init__(binary)
        self.extra_args = extra_args

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix="awssim-tasks-test-")
        self.state_dir = os.path.join(self.tmp, "state")
        self.proc = subprocess.Popen(
            [self.binary, "--listen", "127.0.0.1:0", "--state-dir", self.state_dir,
             "--region", self.region, *self.extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith(LISTENING):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("unexpected first line from the simulator: %r" % line)
        self.url = line[len(LISTENING):]
        self.port = int(self.url.rsplit(":", 1)[1])
        return self


def unique_subnet():
    """A /16 of 127.0.0.0/8 of our own, so parallel suites do not meet."""
    return "127.%d.0.0/16" % random.randint(100, 250)


def container(name="app", command=None, **extra):
    c = {"name": name, "image": "busybox", "essential": True}
    if command is not None:
        c["command"] = command
    c.update(extra)
    return c


class TasksTestBase(unittest.TestCase):
    EXTRA_ARGS = []

    @classmethod
    def setUpClass(cls):
        cls.subnet = unique_subnet()
        cls.sim = TaskSim(SIM_BINARY, ["--task-subnet", cls.subnet, "--provisioning-delay", "20",
                                       *cls.EXTRA_ARGS]).start()
        cls.ecs = cls.sim.client("ecs")
        cls.ecs.create_cluster(clusterName=CLUSTER)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def register(self, family, containers, **kwargs):
        args = {"family": family, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
                "cpu": "256", "memory": "512", "containerDefinitions": containers}
        args.update(kwargs)
        return self.ecs.register_task_definition(**args)["taskDefinition"]["taskDefinitionArn"]

    def run_task(self, task_definition, **kwargs):
        args = {"cluster": CLUSTER, "taskDefinition": task_definition, "launchType": "FARGATE",
                "networkConfiguration": NETWORK}
        args.update(kwargs)
        out = self.ecs.run_task(**args)
        self.assertEqual(out["failures"], [])
        return out["tasks"]

    def describe(self, arn, **kwargs):
        out = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn], **kwargs)
        self.assertEqual(out["failures"], [], out)
        return out["tasks"][0]

    def wait_for(self, arn, statuses, timeout=30, seen=None):
        """Polls DescribeTasks until lastStatus is one of `statuses` (bounded)."""
        deadline = time.monotonic() + timeout
        while True:
            task = self.describe(arn)
            if seen is not None and (not seen or seen[-1] != task["lastStatus"]):
                seen.append(task["lastStatus"])
            if task["lastStatus"] in statuses:
                return task
            if time.monotonic() > deadline:
                self.fail("task %s still %s after %ss, wanted %s" %
                          (arn, task["lastStatus"], timeout, statuses))
            time.sleep(0.02)

    def assertClientError(self, call, code, message=None, status=400, **kwargs):
        with self.assertRaises(ClientError) as ctx:
            call(**kwargs)
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status, err)
        if message is not None:
            self.assertEqual(err["Error"]["Message"], message)
        return err


class TaskLifecycleTest(TasksTestBase):
    def test_exit_code_stop_code_and_statuses(self):
        td = self.register("exit3", [container(
            command=["sh", "-c", "echo hello; echo oops >&2; exit 3"])])
        task = self.run_task(td)[0]
        self.assertEqual(task["lastStatus"], "PROVISIONING")
        self.assertEqual(task["desiredStatus"], "RUNNING")
        seen = []
        stopped = self.wait_for(task["taskArn"], [TERMINAL], seen=seen)
        order = ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING",
                 "DEPROVISIONING", "STOPPED"]
        self.assertEqual(seen, sorted(seen, key=order.index), seen)
        self.assertEqual(stopped["desiredStatus"], "STOPPED")
        self.assertEqual(stopped["stopCode"], "EssentialContainerExited")
        self.assertEqual(stopped["stoppedReason"], "Essential container in task exited")
        self.assertEqual(stopped["containers"][0]["exitCode"], 3)
        self.assertEqual(stopped["containers"][0]["lastStatus"], "STOPPED")
        for key in ("createdAt", "startedAt", "stoppingAt", "executionStoppedAt", "stoppedAt",
                    "pullStartedAt", "pullStoppedAt", "connectivityAt"):
            self.assertIn(key, stopped)
        self.assertLessEqual(stopped["createdAt"], stopped["startedAt"])
        self.assertLessEqual(stopped["startedAt"], stopped["stoppedAt"])
        self.assertEqual(stopped["attachments"][0]["status"], "DELETED")

    def test_task_shape_and_eni(self):
        td = self.register("shape", [container(command=["sleep", "30"], cpu=128, memory=256)])
        task = self.run_task(td, startedBy="shape-test", group="g1")[0]
        running = self.wait_for(task["taskArn"], ["RUNNING"])
        self.assertEqual(running["launchType"], "FARGATE")
        self.assertEqual(running["platformVersion"], "1.4.0")
        self.assertEqual(running["cpu"], "256")
        self.assertEqual(running["memory"], "512")
        self.assertEqual(running["group"], "g1")
        self.assertEqual(running["startedBy"], "shape-test")
        self.assertEqual(running["connectivity"], "CONNECTED")
        self.assertEqual(running["availabilityZone"], "us-east-1a")
        self.assertTrue(running["taskArn"].startswith(
            "arn:aws:ecs:us-east-1:000000000000:task/%s/" % CLUSTER))
        self.assertEqual(running["clusterArn"],
                         "arn:aws:ecs:us-east-1:000000000000:cluster/" + CLUSTER)
        eni = running["attachments"][0]
        self.assertEqual(eni["type"], "ElasticNetworkInterface")
        self.assertEqual(eni["status"], "ATTACHED")
        details = {d["name"]: d["value"] for d in eni["details"]}
        self.assertEqual(details["subnetId"], SUBNET)
        self.assertTrue(details["networkInterfaceId"].startswith("eni-"))
        self.assertRegex(details["macAddress"], r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
        ip = details["privateIPv4Address"]
        prefix = self.subnet.split(".")[:2]
        self.assertEqual(ip.split(".")[:2], prefix)
        self.assertNotIn(ip.split(".")[3], ("0", "255"))
        self.assertEqual(details["privateDnsName"], "ip-%s.ec2.internal" % ip.replace(".", "-"))
        c = running["containers"][0]
        self.assertEqual(c["networkInterfaces"][0]["privateIpv4Address"], ip)
        self.assertEqual(c["networkInterfaces"][0]["attachmentId"], eni["id"])
        self.assertEqual(c["cpu"], "128")
        self.assertEqual(c["memory"], "256")
        self.assertTrue(c["runtimeId"].startswith(task["taskArn"].rsplit("/", 1)[1]))
        self.ecs.stop_task(cluster=CLUSTER, task=task["taskArn"])
        self.wait_for(task["taskArn"], [TERMINAL])

    def test_stop_task_sigterm(self):
        td = self.register("sleeper", [container(command=["sleep", "60"])])
        task = self.run_task(td)[0]
        self.wait_for(task["taskArn"], ["RUNNING"])
        out = self.ecs.stop_task(cluster=CLUSTER, task=task["taskArn"], reason="done with it")
        self.assertEqual(out["task"]["desiredStatus"], "STOPPED")
        self.assertEqual(out["task"]["stopCode"], "UserInitiated")
        stopped = self.wait_for(task["taskArn"], [TERMINAL])
        self.assertEqual(stopped["stoppedReason"], "done with it")
        self.assertEqual(stopped["containers"][0]["exitCode"], 143)

    def test_stop_task_kills_after_stop_timeout(self):
        script = "trap '' TERM; echo ready; while :; do sleep 0.1; done"
        logs = self.sim.client("logs")
        logs.create_log_group(logGroupName="/ecs/stubborn")
        td = self.register("stubborn", [container(
            command=["sh", "-c", script], stopTimeout=2,
            logConfiguration=awslogs("/ecs/stubborn"))])
        task = self.run_task(td)[0]
        self.wait_for(task["taskArn"], ["RUNNING"])
        # SIGTERM must come after the trap is set: wait for the line printed after it.
        stream = "ecs/app/" + task["taskArn"].rsplit("/", 1)[1]
        deadline = time.monotonic() + 10
        while True:
            try:
                events = logs.get_log_events(logGroupName="/ecs/stubborn", logStreamName=stream,
                                             startFromHead=True)["events"]
            except ClientError:
                events = []
            if events:
                break
            self.assertLess(time.monotonic(), deadline, "the container never got ready")
            time.sleep(0.02)
        self.ecs.stop_task(cluster=CLUSTER, task=task["taskArn"])
        stopped = self.wait_for(task["taskArn"], [TERMINAL], timeout=20)
        self.assertEqual(stopped["containers"][0]["exitCode"], 137)
        self.assertEqual(stopped["stoppedReason"], "Task stopped by user")
        waited = (stopped["executionStoppedAt"] - stopped["stoppingAt"]).total_seconds()
        self.assertGreaterEqual(waited, 1.9)
        self.assertLess(waited, 10)

    def test_stop_while_provisioning(self):
        td = self.register("early", [container(command=["sleep", "60"])])
        requests.post(self.sim.url + "/_awssim/faults", timeout=10, data=json.dumps(
            {"task": "slow_provisioning", "delay_ms": 60000})).raise_for_status()
        task = self.run_task(td)[0]
        self.assertEqual(self.describe(task["taskArn"])["lastStatus"], "PROVISIONING")
        self.ecs.stop_task(cluster=CLUSTER, task=task["taskArn"], reason="never mind")
        stopped = self.wait_for(task["taskArn"], [TERMINAL])
        self.assertEqual(stopped["containers"][0]["lastStatus"], "STOPPED")
        self.assertNotIn("exitCode", stopped["containers"][0])
        self.assertNotIn("startedAt", stopped)

    def test_essential_exit_stops_the_others(self):
        td = self.register("essential", [
            container("side", command=["sleep", "60"], essential=False),
            container("main", command=["sh", "-c", "exit 0"], dependsOn=[
                {"containerName": "side", "condition": "START"}]),
        ])
        task = self.run_task(td)[0]
        stopped = self.wait_for(task["taskArn"], [TERMINAL])
        by_name = {c["name"]: c for c in stopped["containers"]}
        self.assertEqual(by_name["main"]["exitCode"], 0)
        self.assertEqual(by_name["side"]["exitCode"], 143)
        self.assertEqual(stopped["stopCode"], "EssentialContainerExited")

    def test_command_not_found(self):
        td = self.register("missing", [container(command=["no-such-program-anywhere"])])
        task = self.run_task(td)[0]
        stopped = self.wait_for(task["taskArn"], [TERMINAL])
        self.assertEqual(stopped["stopCode"], "TaskFailedToStart")
        self.assertIn("executable file not found in $PATH", stopped["stoppedReason"])
        self.assertTrue(stopped["stoppedReason"].startswith("CannotStartContainerError: "))
        c = stopped["containers"][0]
        self.assertNotIn("exitCode", c)
        self.assertEqual(c["reason"], stopped["stoppedReason"])

    def test_environment_and_working_directory(self):
        script = 'test "$A" = over && test "$B" = def && test "$AWS_REGION" = us-east-1 ' \
                 '&& test "$AWS_EXECUTION_ENV" = AWS_ECS_FARGATE && test "$(pwd)" = /tmp'
        td = self.register("env", [container(
            command=["false"], workingDirectory="/tmp",
            environment=[{"name": "A", "value": "def"}, {"name": "B", "value": "def"}])])
        task = self.run_task(td, overrides={"containerOverrides": [{
            "name": "app", "command": ["sh", "-c", script],
            "environment": [{"name": "A", "value": "over"}]}]})[0]
        self.assertEqual(task["overrides"]["containerOverrides"][0]["environment"],
                         [{"name": "A", "value": "over"}])
        stopped = self.wait_for(task["taskArn"], [TERMINAL])
        self.assertEqual(stopped["containers"][0]["exitCode"], 0)

    def test_twenty_concurrent_run_tasks(self):
        td = self.register("crowd", [container(command=["sleep", "60"])])
        arns, errors = [], []
        lock = threading.Lock()

        def one():
            try:
                client = self.sim.client("ecs")
                out = client.run_task(cluster=CLUSTER, taskDefinition=td, launchType="FARGATE",
                                      networkConfiguration=NETWORK)
                with lock:
                    arns.append(out["tasks"][0]["taskArn"])
            except Exception as e:  # reported below
                with lock:
                    errors.append(e)

        threads = [threading.Thread(target=one) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(errors, [])
        self.assertEqual(len(arns), 20)
        ips = set()
        for arn in arns:
            running = self.wait_for(arn, ["RUNNING"])
            details = {d["name"]: d["value"] for d in running["attachments"][0]["details"]}
            ips.add(details["privateIPv4Address"])
        self.assertEqual(len(ips), 20)
        for arn in arns:
            self.ecs.stop_task(cluster=CLUSTER, task=arn)
        for arn in arns:
            self.wait_for(arn, [TERMINAL])


class DependsOnTest(TasksTestBase):
    def test_chain_of_conditions(self):
        td = self.register("chain", [
            container("init", essential=False, command=["sh", "-c", "echo a > step-a"]),
            container("mid", essential=False,
                      command=["sh", "-c", "test -f step-a && echo b > step-b; exit 5"],
                      dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]),
            container("side", essential=False, command=["sleep", "60"],
                      dependsOn=[{"containerName": "init", "condition": "START"}]),
            container("main", command=["sh", "-c", "test -f step-a && test -f step-b"],
                      dependsOn=[{"containerName": "mid", "condition": "COMPLETE"},
                                 {"containerName": "side", "condition": "START"}]),
        ])
        task = self.run_task(td)[0]
        stopped = self.wait_for(task["taskArn"], [TERMINAL])
        by = {c["name"]: c for c in stopped["containers"]}
        self.assertEqual(by["init"]["exitCode"], 0)
        self.assertEqual(by["mid"]["exitCode"], 5)
        self.assertEqual(by["main"]["exitCode"], 0)
        self.assertEqual(by["side"]["exitCode"], 143)
        self.assertEqual(stopped["stopCode"], "EssentialContainerExited")

    def test_failing_success_dependency_stops_the_task(self):
        td = self.register("badinit", [
            container("init", essential=False, command=["sh", "-c", "exit 1"]),
            container("main", command=["sh", "-c", "echo should not run"],
                      dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]),
        ])
        task = self.run_task(td)[0]
        stopped = self.wait_for(task["taskArn"], [TERMINAL])
        by = {c["name"]: c for c in stopped["containers"]}
        self.assertEqual(by["init"]["exitCode"], 1)
        self.assertEqual(by["main"]["exitCode"], 143)
        self.assertNotIn("runtimeId", by["main"])
        self.assertEqual(
            by["main"]["reason"],
            "CannotStartContainerError: dependency graph: failed to resolve container ordering "
            "dependency [init] for target [main] as dependency did not exit successfully.")
        self.assertEqual(stopped["stopCode"], "EssentialContainerExited")
        self.assertEqual(stopped["stoppedReason"], "Essential container in task exited")
        self.assertNotIn("startedAt", stopped)

    def test_healthy_dependency_and_health_status(self):
        td = self.register("healthy", [
            container("db", essential=True,
                      command=["sh", "-c", "echo $(date +%s%N) > db-start; sleep 0.3; touch ready;"
                                           " exec sleep 60"],
                      healthCheck={"command": ["CMD-SHELL", "test -f ready"], "interval": 5,
                                   "timeout": 2, "retries": 1, "startPeriod": 30}),
            container("app", essential=False,
                      command=["sh", "-c", "test -f ready && exec sleep 60"],
                      dependsOn=[{"containerName": "db", "condition": "HEALTHY"}]),
        ])
        task = self.run_task(td)[0]
        provisioning = self.describe(task["taskArn"])
        self.assertEqual(provisioning["healthStatus"], "UNKNOWN")
        deadline = time.monotonic() + 30
        while True:
            t = self.describe(task["taskArn"])
            by = {c["name"]: c for c in t["containers"]}
            if by["app"]["lastStatus"] == "RUNNING":
                break
            self.assertEqual(by["app"]["lastStatus"], "PENDING", t["containers"])
            self.assertNotEqual(t["lastStatus"], "RUNNING", "RUNNING while app still waits")
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.02)
        self.assertEqual(by["db"]["healthStatus"], "HEALTHY")
        self.assertEqual(t["healthStatus"], "HEALTHY")
        running = self.wait_for(task["taskArn"], ["RUNNING"])
        self.assertEqual({c["name"]: c["lastStatus"] for c in running["containers"]},
                         {"db": "RUNNING", "app": "RUNNING"}, running["containers"])
        self.ecs.stop_task(cluster=CLUSTER, task=task["taskArn"])
        self.wait_for(task["taskArn"], [TERMINAL])

    def test_unhealthy_container_and_dependency_timeout(self):
        td = self.register("unhealthy", [
            container("db", essential=True, command=["sleep", "60"], startTimeout=2,
                      healthCheck={"command": ["CMD", "false"], "interval": 5, "timeout": 2,
                                   "retries": 1, "startPeriod": 1}),
            container("app", essential=False, command=["sleep", "60"],
                      dependsOn=[{"containerName": "db", "condition": "HEALTHY"}]),
        ])
        task = self.run_task(td)[0]
        deadline = time.monotonic() + 30
        while True:
            t = self.describe(task["taskArn"])
            by = {c["name"]: c for c in t["containers"]}
            if by["app"]["lastStatus"] == "STOPPED":
                break
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        self.assertTrue(by["app"]["reason"].endswith("has timed out."), by["app"])
        self.assertEqual(by["app"]["exitCode"], 143)
        unhealthy_deadline = time.monotonic() + 30
        while t["healthStatus"] != "UNHEALTHY":
            self.assertLess(time.monotonic(), unhealthy_deadline, t)
            time.sleep(0.05)
            t = self.describe(task["taskArn"])
        self.assertEqual({c["name"]: c["healthStatus"] for c in t["containers"]}["db"],
                         "UNHEALTHY")
        self.ecs.stop_task(cluster=CLUSTER, task=task["taskArn"])
        self.wait_for(task["taskArn"], [TERMINAL])


class RunTaskApiTest(TasksTestBase):
    def test_overrides_limit_boundary(self):
        td = self.register("limit", [container(command=["true"])])

        def overrides_of_length(n):
            item = {"name": "app", "environment": [{"name": "X", "value": ""}]}
            base = len(json.dumps([item], separators=(",", ":")))
            item["environment"][0]["value"] = "v" * (n - base)
            encoded = json.dumps([item], separators=(",", ":"))
            self.assertEqual(len(encoded), n)
            return {"containerOverrides": [item]}

        accepted = self.run_task(td, overrides=overrides_of_length(8192))[0]
        self.assertEqual(accepted["lastStatus"], "PROVISIONING")
        self.assertClientError(self.ecs.run_task, "InvalidParameterException",
                               "Container Overrides length must be at most 8192",
                               cluster=CLUSTER, taskDefinition=td, launchType="FARGATE",
                               networkConfiguration=NETWORK, overrides=overrides_of_length(8193))
        self.wait_for(accepted["taskArn"], [TERMINAL])

    def test_client_token_idempotency(self):
        td = self.register("token", [container(command=["sleep", "30"])])
        args = dict(cluster=CLUSTER, taskDefinition=td, launchType="FARGATE",
                    networkConfiguration=NETWORK, count=2, clientToken="token-one")
        first = self.ecs.run_task(**args)["tasks"]
        again = self.ecs.run_task(**args)["tasks"]
        self.assertEqual([t["taskArn"] for t in first], [t["taskArn"] for t in again])
        listed = self.ecs.list_tasks(cluster=CLUSTER, family="token")["taskArns"]
        self.assertEqual(sorted(listed), sorted(t["taskArn"] for t in first))
        args["count"] = 1
        self.assertClientError(self.ecs.run_task, "ConflictException", **args)
        for t in first:
            self.ecs.stop_task(cluster=CLUSTER, task=t["taskArn"])

    def test_describe_tasks(self):
        td = self.register("describe", [container(command=["sleep", "30"])])
        task = self.run_task(td, tags=[{"key": "team", "value": "a"}])[0]
        self.assertEqual(task["tags"], [{"key": "team", "value": "a"}])
        task_id = task["taskArn"].rsplit("/", 1)[1]
        out = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[task_id, "0" * 32],
                                      include=["TAGS"])
        self.assertEqual(out["tasks"][0]["taskArn"], task["taskArn"])
        self.assertEqual(out["tasks"][0]["tags"], [{"key": "team", "value": "a"}])
        self.assertEqual(out["failures"], [{
            "arn": "arn:aws:ecs:us-east-1:000000000000:task/%s/%s" % (CLUSTER, "0" * 32),
            "reason": "MISSING"}])
        self.assertNotIn("tags", self.describe(task["taskArn"]))
        self.ecs.tag_resource(resourceArn=task["taskArn"], tags=[{"key": "more", "value": "b"}])
        self.assertEqual(self.ecs.list_tags_for_resource(resourceArn=task["taskArn"])["tags"],
                         [{"key": "team", "value": "a"}, {"key": "more", "value": "b"}])
        self.assertClientError(self.ecs.describe_tasks, "InvalidParameterException",
                               "Tasks cannot be empty.", cluster=CLUSTER, tasks=[])
        self.assertClientError(self.ecs.describe_tasks, "InvalidParameterException",
                               "taskIds can have at most 100 items.", cluster=CLUSTER,
                               tasks=[task_id] * 101)
        self.assertClientError(self.ecs.describe_tasks, "ClusterNotFoundException",
                               "Cluster not found.", cluster="nowhere", tasks=[task_id])
        self.ecs.stop_task(cluster=CLUSTER, task=task_id)

    def test_list_tasks_pages_and_filters(self):
        td = self.register("lister", [container(command=["sleep", "30"])])
        tasks = self.run_task(td, count=5, startedBy="lister-run")
        arns = [t["taskArn"] for t in tasks]
        pages, token = [], None
        while True:
            kwargs = {"cluster": CLUSTER, "startedBy": "lister-run", "maxResults": 2}
            if token:
                kwargs["nextToken"] = token
            out = self.ecs.list_tasks(**kwargs)
            pages.append(out["taskArns"])
            token = out.get("nextToken")
            if not token:
                break
        self.assertEqual([len(p) for p in pages], [2, 2, 1])
        self.assertEqual(sorted(sum(pages, [])), sorted(arns))
        paginated = self.ecs.get_paginator("list_tasks").paginate(
            cluster=CLUSTER, family="lister", PaginationConfig={"PageSize": 3})
        self.assertEqual(sorted(a for p in paginated for a in p["taskArns"]), sorted(arns))
        self.ecs.stop_task(cluster=CLUSTER, task=arns[0])
        self.wait_for(arns[0], [TERMINAL])
        stopped = self.ecs.list_tasks(cluster=CLUSTER, family="lister",
                                      desiredStatus="STOPPED")["taskArns"]
        self.assertEqual(stopped, [arns[0]])
        running = self.ecs.list_tasks(cluster=CLUSTER, family="lister")["taskArns"]
        self.assertEqual(sorted(running), sorted(arns[1:]))
        self.assertEqual(self.ecs.list_tasks(cluster=CLUSTER, family="lister",
                                             desiredStatus="PENDING")["taskArns"], [])
        self.assertClientError(self.ecs.list_tasks, "InvalidParameterException",
                               cluster=CLUSTER, nextToken="not-a-token")
        for arn in arns[1:]:
            self.ecs.stop_task(cluster=CLUSTER, task=arn)

    def test_run_task_errors(self):
        td = self.register("errors", [container(command=["true"])])
        self.assertClientError(self.ecs.run_task, "ClusterNotFoundException",
                               "Cluster not found.", cluster="nowhere", taskDefinition=td,
                               networkConfiguration=NETWORK)
        self.assertClientError(self.ecs.run_task, "ClientException", "TaskDefinition not found.",
                               cluster=CLUSTER, taskDefinition="never-registered",
                               networkConfiguration=NETWORK)
        self.assertClientError(
            self.ecs.run_task, "InvalidParameterException",
            "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
            cluster=CLUSTER, taskDefinition=td)
        self.assertClientError(self.ecs.run_task, "InvalidParameterException",
                               "subnets can not be empty.", cluster=CLUSTER, taskDefinition=td,
                               networkConfiguration={"awsvpcConfiguration": {"subnets": []}})
        self.assertClientError(
            self.ecs.run_task, "InvalidParameterException",
            "Override for container named ghost is not a container in the TaskDefinition.",
            cluster=CLUSTER, taskDefinition=td, networkConfiguration=NETWORK,
            overrides={"containerOverrides": [{"name": "ghost"}]})
        self.assertClientError(self.ecs.run_task, "InvalidParameterException",
                               cluster=CLUSTER, taskDefinition=td, networkConfiguration=NETWORK,
                               count=11)
        self.assertClientError(self.ecs.stop_task, "InvalidParameterException",
                               "The referenced task was not found.", cluster=CLUSTER,
                               task="f" * 32)

    def test_aws_cli(self):
        td = self.register("cli", [container(command=["sh", "-c", "exit 7"])])
        out = self.sim.aws("ecs", "run-task", "--cluster", CLUSTER, "--task-definition", td,
                           "--launch-type", "FARGATE", "--network-configuration",
                           json.dumps(NETWORK))
        self.assertEqual(out.returncode, 0, out.stderr)
        arn = json.loads(out.stdout)["tasks"][0]["taskArn"]
        waited = self.sim.aws("ecs", "wait", "tasks-stopped", "--cluster", CLUSTER, "--tasks", arn)
        self.assertEqual(waited.returncode, 0, waited.stderr)
        out = self.sim.aws("ecs", "describe-tasks", "--cluster", CLUSTER, "--tasks", arn)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout)["tasks"][0]["containers"][0]["exitCode"], 7)
        bad = self.sim.aws("ecs", "stop-task", "--cluster", CLUSTER, "--task", "f" * 32)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("InvalidParameterException", bad.stderr)


def awslogs(group, prefix="ecs", create=None):
    options = {"awslogs-group": group, "awslogs-region": "us-east-1",
               "awslogs-stream-prefix": prefix}
    if create is not None:
        options["awslogs-create-group"] = create
    return {"logDriver": "awslogs", "options": options}


class LogsTest(TasksTestBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.logs = cls.sim.client("logs")

    def events(self, group, stream):
        out = self.logs.get_log_events(logGroupName=group, logStreamName=stream,
                                       startFromHead=True)
        return [e["message"] for e in out["events"]]

    def test_task_output_reaches_its_log_stream(self):
        self.logs.create_log_group(logGroupName="/ecs/exit3")
        td = self.register("logged", [container(
            command=["sh", "-c", "echo hello; echo oops >&2; exit 3"],
            logConfiguration=awslogs("/ecs/exit3"))])
        task = self.run_task(td)[0]
        stopped = self.wait_for(task["taskArn"], [TERMINAL])
        self.assertEqual(stopped["containers"][0]["exitCode"], 3)
        task_id = task["taskArn"].rsplit("/", 1)[1]
        stream = "ecs/app/" + task_id
        self.assertEqual(sorted(self.events("/ecs/exit3", stream)), ["hello", "oops"])
        streams = self.logs.describe_log_streams(logGroupName="/ecs/exit3")["logStreams"]
        self.assertEqual([s["logStreamName"] for s in streams], [stream])

    def test_create_group_option(self):
        td = self.register("autogroup", [container(
            command=["sh", "-c", "echo made"], logConfiguration=awslogs("/ecs/auto", "p", "true"))])
        task = self.run_task(td)[0]
        self.wait_for(task["taskArn"], [TERMINAL])
        task_id = task["taskArn"].rsplit("/", 1)[1]
        self.assertEqual(self.events("/ecs/auto", "p/app/" + task_id), ["made"])

    def test_missing_group_fails_the_task(self):
        td = self.register("nogroup", [container(
            command=["sh", "-c", "echo never"], logConfiguration=awslogs("/ecs/missing"))])
        task = self.run_task(td)[0]
        stopped = self.wait_for(task["taskArn"], [TERMINAL])
        self.assertEqual(stopped["stopCode"], "TaskFailedToStart")
        self.assertTrue(stopped["stoppedReason"].startswith("ResourceInitializationError: "))
        self.assertIn("The specified log group does not exist.", stopped["stoppedReason"])
        self.assertNotIn("exitCode", stopped["containers"][0])

    def test_long_output_is_split_and_complete(self):
        self.logs.create_log_group(logGroupName="/ecs/long")
        script = "python3 -c \"import sys; [print('line %d' % i) for i in range(3000)]; " \
                 "sys.stdout.write('x' * 300000)\""
        td = self.register("long", [container(command=["sh", "-c", script],
                                              logConfiguration=awslogs("/ecs/long"))])
        task = self.run_task(td)[0]
        self.wait_for(task["taskArn"], [TERMINAL])
        stream = "ecs/app/" + task["taskArn"].rsplit("/", 1)[1]
        messages, token = [], None
        while True:
            kwargs = {"logGroupName": "/ecs/long", "logStreamName": stream,
                      "startFromHead": True, "limit": 1000}
            if token:
                kwargs["nextToken"] = token
            out = self.logs.get_log_events(**kwargs)
            messages += [e["message"] for e in out["events"]]
            if out["nextForwardToken"] == token:
                break
            token = out["nextForwardToken"]
        self.assertEqual(messages[:3000], ["line %d" % i for i in range(3000)])
        self.assertEqual([len(m) for m in messages[3000:]], [262118, 300000 - 262118])

    def test_log_group_and_stream_api(self):
        logs = self.logs
        logs.create_log_group(logGroupName="/api/one")
        logs.create_log_group(logGroupName="/api/two")
        self.assertClientError(logs.create_log_group, "ResourceAlreadyExistsException",
                               "The specified log group already exists",
                               logGroupName="/api/one")
        self.assertClientError(logs.create_log_group, "InvalidParameterException",
                               logGroupName="bad name")
        page = logs.describe_log_groups(logGroupNamePrefix="/api/", limit=1)
        self.assertEqual([g["logGroupName"] for g in page["logGroups"]], ["/api/one"])
        group = page["logGroups"][0]
        self.assertEqual(group["arn"], "arn:aws:logs:us-east-1:000000000000:log-group:/api/one:*")
        self.assertEqual(group["logGroupArn"],
                         "arn:aws:logs:us-east-1:000000000000:log-group:/api/one")
        rest = logs.describe_log_groups(logGroupNamePrefix="/api/", nextToken=page["nextToken"])
        self.assertEqual([g["logGroupName"] for g in rest["logGroups"]], ["/api/two"])
        self.assertNotIn("nextToken", rest)

        logs.put_retention_policy(logGroupName="/api/one", retentionInDays=7)
        self.assertEqual(logs.describe_log_groups(logGroupNamePrefix="/api/one")[
            "logGroups"][0]["retentionInDays"], 7)
        self.assertClientError(logs.put_retention_policy, "InvalidParameterException",
                               logGroupName="/api/one", retentionInDays=2)

        logs.create_log_stream(logGroupName="/api/one", logStreamName="s1")
        self.assertClientError(logs.create_log_stream, "ResourceAlreadyExistsException",
                               "The specified log stream already exists",
                               logGroupName="/api/one", logStreamName="s1")
        self.assertClientError(logs.create_log_stream, "ResourceNotFoundException",
                               "The specified log group does not exist.",
                               logGroupName="/api/none", logStreamName="s1")
        streams = logs.describe_log_streams(logGroupName="/api/one")["logStreams"]
        self.assertEqual(streams[0]["logStreamName"], "s1")
        self.assertEqual(streams[0]["arn"],
                         "arn:aws:logs:us-east-1:000000000000:log-group:/api/one:log-stream:s1")
        logs.delete_log_stream(logGroupName="/api/one", logStreamName="s1")
        self.assertClientError(logs.delete_log_stream, "ResourceNotFoundException",
                               "The specified log stream does not exist.",
                               logGroupName="/api/one", logStreamName="s1")
        logs.delete_log_group(logGroupName="/api/two")
        self.assertClientError(logs.delete_log_group, "ResourceNotFoundException",
                               logGroupName="/api/two")

    def test_put_get_and_filter_events(self):
        logs = self.logs
        logs.create_log_group(logGroupName="/api/events")
        logs.create_log_stream(logGroupName="/api/events", logStreamName="a")
        logs.create_log_stream(logGroupName="/api/events", logStreamName="b")
        now = int(time.time() * 1000)
        put = logs.put_log_events(logGroupName="/api/events", logStreamName="a", logEvents=[
            {"timestamp": now + i, "message": "a%d %s" % (i, "ERROR" if i % 2 else "INFO")}
            for i in range(5)])
        self.assertNotIn("rejectedLogEventsInfo", put)
        logs.put_log_events(logGroupName="/api/events", logStreamName="b", logEvents=[
            {"timestamp": now + 2, "message": "b ERROR disk full"}])

        first = logs.get_log_events(logGroupName="/api/events", logStreamName="a",
                                    startFromHead=True, limit=2)
        self.assertEqual([e["message"] for e in first["events"]], ["a0 INFO", "a1 ERROR"])
        self.assertTrue(first["nextForwardToken"].startswith("f/"))
        second = logs.get_log_events(logGroupName="/api/events", logStreamName="a",
                                     nextToken=first["nextForwardToken"], limit=2)
        self.assertEqual([e["message"] for e in second["events"]], ["a2 INFO", "a3 ERROR"])
        tail = logs.get_log_events(logGroupName="/api/events", logStreamName="a", limit=2)
        self.assertEqual([e["message"] for e in tail["events"]], ["a3 ERROR", "a4 INFO"])
        back = logs.get_log_events(logGroupName="/api/events", logStreamName="a",
                                   nextToken=tail["nextBackwardToken"], limit=10)
        self.assertEqual([e["message"] for e in back["events"]],
                         ["a0 INFO", "a1 ERROR", "a2 INFO"])
        self.assertEqual(first["events"][0]["timestamp"], now)
        self.assertIn("ingestionTime", first["events"][0])

        found = logs.filter_log_events(logGroupName="/api/events", filterPattern="ERROR")
        self.assertEqual([(e["logStreamName"], e["message"]) for e in found["events"]],
                         [("a", "a1 ERROR"), ("b", "b ERROR disk full"), ("a", "a3 ERROR")])
        self.assertEqual(len(found["events"][0]["eventId"]), 56)
        phrase = logs.filter_log_events(logGroupName="/api/events",
                                        filterPattern='"disk full"', logStreamNames=["b"])
        self.assertEqual([e["message"] for e in phrase["events"]], ["b ERROR disk full"])
        paged = logs.get_paginator("filter_log_events").paginate(
            logGroupName="/api/events", PaginationConfig={"PageSize": 2})
        self.assertEqual(sum(len(p["events"]) for p in paged), 6)

        hour = 3600 * 1000
        old = logs.put_log_events(logGroupName="/api/events", logStreamName="a", logEvents=[
            {"timestamp": now - 14 * 24 * hour - hour, "message": "too old"},
            {"timestamp": now - 14 * 24 * hour + hour, "message": "old but kept"}])
        self.assertEqual(old["rejectedLogEventsInfo"], {"tooOldLogEventEndIndex": 0})
        new = logs.put_log_events(logGroupName="/api/events", logStreamName="a", logEvents=[
            {"timestamp": now, "message": "fine"},
            {"timestamp": now + 3 * hour, "message": "too new"}])
        self.assertEqual(new["rejectedLogEventsInfo"], {"tooNewLogEventStartIndex": 1})
        self.assertClientError(
            logs.put_log_events, "InvalidParameterException",
            "The batch of log events in a single PutLogEvents request cannot span more than 24 "
            "hours.", logGroupName="/api/events", logStreamName="a",
            logEvents=[{"timestamp": now - 25 * hour, "message": "1"},
                       {"timestamp": now, "message": "2"}])
        self.assertClientError(
            logs.put_log_events, "InvalidParameterException",
            "Log events in a single PutLogEvents request must be in chronological order.",
            logGroupName="/api/events", logStreamName="a",
            logEvents=[{"timestamp": now, "message": "2"}, {"timestamp": now - 1, "message": "1"}])
        self.assertClientError(
            logs.put_log_events, "InvalidParameterException",
            "Log event too large: 262145 bytes exceeds limit of 262144",
            logGroupName="/api/events", logStreamName="a",
            logEvents=[{"timestamp": now, "message": "x" * 262119}])
        self.assertClientError(logs.put_log_events, "ResourceNotFoundException",
                               "The specified log stream does not exist.",
                               logGroupName="/api/events", logStreamName="zz",
                               logEvents=[{"timestamp": now, "message": "m"}])

    def test_logs_cli(self):
        self.logs.create_log_group(logGroupName="/cli/logs")
        self.logs.create_log_stream(logGroupName="/cli/logs", logStreamName="s")
        now = int(time.time() * 1000)
        out = self.sim.aws("logs", "put-log-events", "--log-group-name", "/cli/logs",
                           "--log-stream-name", "s", "--log-events",
                           "timestamp=%d,message=from-cli" % now)
        self.assertEqual(out.returncode, 0, out.stderr)
        out = self.sim.aws("logs", "get-log-events", "--log-group-name", "/cli/logs",
                           "--log-stream-name", "s", "--start-from-head")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual([e["message"] for e in json.loads(out.stdout)["events"]], ["from-cli"])
        out = self.sim.aws("logs", "filter-log-events", "--log-group-name", "/cli/logs",
                           "--filter-pattern", "cli")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(len(json.loads(out.stdout)["events"]), 1)
        out = self.sim.aws("logs", "describe-log-groups", "--log-group-name-prefix", "/nope")
        self.assertEqual(json.loads(out.stdout)["logGroups"], [])
        bad = self.sim.aws("logs", "delete-log-group", "--log-group-name", "/nope")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("ResourceNotFoundException", bad.stderr)


ROLE = "arn:aws:iam::000000000000:role/app-role"
CALLER = ("import boto3, json; "
          "print(json.dumps(boto3.client('sts').get_caller_identity()))")


class TaskEndpointsTest(TasksTestBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.logs = cls.sim.client("logs")
        cls.logs.create_log_group(logGroupName="/ecs/endpoints")

    def output(self, task_arn):
        stream = "ecs/app/" + task_arn.rsplit("/", 1)[1]
        out = self.logs.get_log_events(logGroupName="/ecs/endpoints", logStreamName=stream,
                                       startFromHead=True)
        return [e["message"] for e in out["events"]]

    def wait_for_output(self, task_arn, count=1, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                lines = self.output(task_arn)
            except ClientError:
                lines = []
            if len(lines) >= count:
                return lines
            self.assertLess(time.monotonic(), deadline, "no output from " + task_arn)
            time.sleep(0.02)

    def test_task_role_credentials_reach_sts(self):
        td = self.register("creds", [container(
            command=["python3", "-c", CALLER], logConfiguration=awslogs("/ecs/endpoints"))],
            taskRoleArn=ROLE)
        task = self.run_task(td)[0]
        stopped = self.wait_for(task["taskArn"], [TERMINAL], timeout=60)
        lines = self.output(task["taskArn"])
        self.assertEqual(stopped["containers"][0]["exitCode"], 0, lines)
        identity = json.loads(lines[-1])
        task_id = task["taskArn"].rsplit("/", 1)[1]
        self.assertEqual(identity["Arn"],
                         "arn:aws:sts::000000000000:assumed-role/app-role/" + task_id)
        self.assertEqual(identity["Account"], "000000000000")

    def test_credentials_endpoint_shape_and_revocation(self):
        script = ("import json, os, urllib.request; "
                  "r = urllib.request.Request(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'], "
                  "headers={'Authorization': os.environ['AWS_CONTAINER_AUTHORIZATION_TOKEN']}); "
                  "print(json.dumps({'uri': os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'], "
                  "'creds': json.load(urllib.request.urlopen(r))}), flush=True); "
                  "import time; time.sleep(60)")
        td = self.register("credshape", [container(
            command=["python3", "-c", script], logConfiguration=awslogs("/ecs/endpoints"))],
            taskRoleArn=ROLE)
        task = self.run_task(td)[0]
        seen = json.loads(self.wait_for_output(task["taskArn"])[0])
        creds, uri = seen["creds"], seen["uri"]
        self.assertTrue(uri.startswith(self.sim.url + "/v2/credentials/"))
        self.assertEqual(creds["RoleArn"], ROLE)
        self.assertTrue(creds["AccessKeyId"].startswith("ASIA"))
        self.assertRegex(creds["Expiration"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(requests.get(uri, timeout=10).status_code, 401)
        self.assertEqual(requests.get(uri, headers={"Authorization": "wrong"},
                                      timeout=10).status_code, 401)
        session = self.sim.client("ecs", key=creds["AccessKeyId"],
                                  secret=creds["SecretAccessKey"], token=creds["Token"])
        self.assertEqual(len(session.describe_clusters(clusters=[CLUSTER])["clusters"]), 1)
        self.ecs.stop_task(cluster=CLUSTER, task=task["taskArn"])
        self.wait_for(task["taskArn"], [TERMINAL])
        self.assertEqual(requests.get(uri, timeout=10).status_code, 404)
        with self.assertRaises(ClientError) as ctx:
            session.describe_clusters(clusters=[CLUSTER])
        self.assertEqual(ctx.exception.response["Error"]["Code"], "UnrecognizedClientException")

    def test_no_task_role_no_credentials(self):
        script = 'test -z "$AWS_CONTAINER_CREDENTIALS_FULL_URI" && echo none'
        td = self.register("norole", [container(
            command=["sh", "-c", script], logConfiguration=awslogs("/ecs/endpoints"))])
        task = self.run_task(td)[0]
        stopped = self.wait_for(task["taskArn"], [TERMINAL])
        self.assertEqual(stopped["containers"][0]["exitCode"], 0)
        self.assertEqual(self.output(task["taskArn"]), ["none"])
        missing = requests.get(self.sim.url + "/v2/credentials/" + "0" * 8, timeout=10)
        self.assertEqual(missing.status_code, 404)

    def test_metadata_v4(self):
        script = 'echo "$ECS_CONTAINER_METADATA_URI_V4 $ECS_CONTAINER_METADATA_URI"; ' \
                 'exec sleep 60'
        td = self.register("meta", [
            container(command=["sh", "-c", script], logConfiguration=awslogs("/ecs/endpoints"),
                      memory=256, cpu=128),
            container("side", command=["sleep", "60"], essential=False)], cpu="512",
            memory="1024")
        task = self.run_task(td)[0]
        running = self.wait_for(task["taskArn"], ["RUNNING"])
        v4, v3 = self.wait_for_output(task["taskArn"])[0].split()
        self.assertTrue(v4.startswith(self.sim.url + "/v4/"))
        self.assertTrue(v3.startswith(self.sim.url + "/v3/"))
        ip = {d["name"]: d["value"] for d in running["attachments"][0]["details"]}[
            "privateIPv4Address"]

        c = requests.get(v4, timeout=10).json()
        self.assertEqual(c["Name"], "app")
        self.assertEqual(c["ContainerARN"], running["containers"][0]["containerArn"])
        self.assertEqual(c["DockerId"], running["containers"][0]["runtimeId"])
        self.assertEqual(c["KnownStatus"], "RUNNING")
        self.assertEqual(c["DesiredStatus"], "RUNNING")
        self.assertEqual(c["Limits"], {"CPU": 128, "Memory": 256})
        self.assertEqual(c["Labels"]["com.amazonaws.ecs.task-arn"], task["taskArn"])
        self.assertEqual(c["Labels"]["com.amazonaws.ecs.task-definition-family"], "meta")
        net = c["Networks"][0]
        self.assertEqual(net["NetworkMode"], "awsvpc")
        self.assertEqual(net["IPv4Addresses"], [ip])
        self.assertEqual(net["IPv4SubnetCIDRBlock"], self.subnet)
        self.assertEqual(c["LogDriver"], "awslogs")
        self.assertEqual(requests.get(v3, timeout=10).json()["DockerId"], c["DockerId"])

        t = requests.get(v4 + "/task", timeout=10).json()
        self.assertEqual(t["TaskARN"], task["taskArn"])
        self.assertEqual(t["Cluster"], running["clusterArn"])
        self.assertEqual(t["Family"], "meta")
        self.assertEqual(t["Revision"], td.rsplit(":", 1)[1])
        self.assertEqual(t["DesiredStatus"], "RUNNING")
        self.assertEqual(t["KnownStatus"], "RUNNING")
        self.assertEqual(t["Limits"], {"CPU": 0.5, "Memory": 1024})
        self.assertEqual(t["AvailabilityZone"], "us-east-1a")
        self.assertEqual(t["LaunchType"], "FARGATE")
        self.assertEqual(sorted(x["Name"] for x in t["Containers"]), ["app", "side"])

        stats = requests.get(v4 + "/stats", timeout=10).json()
        self.assertIn("memory_stats", stats)
        self.assertGreater(stats["memory_stats"]["usage"], 0)
        task_stats = requests.get(v4 + "/task/stats", timeout=10).json()
        self.assertEqual(sorted(task_stats), sorted(x["runtimeId"] for x in running["containers"]))
        self.assertEqual(requests.get(self.sim.url + "/v4/nope-nope", timeout=10).status_code, 404)
        self.ecs.stop_task(cluster=CLUSTER, task=task["taskArn"])
        self.wait_for(task["taskArn"], [TERMINAL])

    def test_agent_answers_health_at_its_eni_address(self):
        td = self.register("agent", [container(
            command=[AGENT_BINARY, "--keep-alive"], logConfiguration=awslogs("/ecs/endpoints"),
            environment=[{"name": "SOCKERLESS_AGENT_PORT", "value": "9111"}])])
        task = self.run_task(td)[0]
        running = self.wait_for(task["taskArn"], ["RUNNING"])
        ip = {d["name"]: d["value"] for d in running["attachments"][0]["details"]}[
            "privateIPv4Address"]
        deadline = time.monotonic() + 30
        while True:
            try:
                health = requests.get("http://%s:9111/health" % ip, timeout=2)
                if health.status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            self.assertLess(time.monotonic(), deadline, "agent never healthy; log: %s" %
                            self.output(task["taskArn"]))
            time.sleep(0.02)
        self.ecs.stop_task(cluster=CLUSTER, task=task["taskArn"])
        stopped = self.wait_for(task["taskArn"], [TERMINAL])
        self.assertIn(stopped["containers"][0]["exitCode"], (0, 143))


class FaultsTest(TasksTestBase):
    def arm(self, spec):
        res = requests.post(self.sim.url + "/_awssim/faults", data=json.dumps(spec), timeout=10)
        self.assertEqual(res.status_code, 200, res.text)

    def tearDown(self):
        requests.delete(self.sim.url + "/_awssim/faults", timeout=10).raise_for_status()

    def test_stop_before_running(self):
        td = self.register("doomed", [container(command=["sh", "-c", "touch ran"])])
        reason = "CannotPullContainerError: pull image manifest has been retried 1 time(s)"
        self.arm({"task": "stop_before_running", "stop_code": "TaskFailedToStart",
                  "reason": reason})
        task = self.run_task(td)[0]
        seen = []
        stopped = self.wait_for(task["taskArn"], [TERMINAL], seen=seen)
        self.assertEqual(seen, ["PROVISIONING", "STOPPED"])
        self.assertEqual(stopped["stopCode"], "TaskFailedToStart")
        self.assertEqual(stopped["stoppedReason"], reason)
        c = stopped["containers"][0]
        self.assertEqual(c["lastStatus"], "STOPPED")
        self.assertNotIn("exitCode", c)
        self.assertNotIn("runtimeId", c)
        self.assertNotIn("startedAt", stopped)
        # The fault was used up: the next task runs.
        again = self.run_task(td)[0]
        self.assertEqual(self.wait_for(again["taskArn"], [TERMINAL])["containers"][0]["exitCode"],
                         0)

    def test_slow_provisioning(self):
        td = self.register("slow", [container(command=["sleep", "30"])])
        self.arm({"task": "slow_provisioning", "delay_ms": 1500})
        task = self.run_task(td)[0]
        seen = []
        running = self.wait_for(task["taskArn"], ["RUNNING"], seen=seen)
        self.assertEqual(seen[0], "PROVISIONING")
        waited = (running["pullStartedAt"] - running["createdAt"]).total_seconds()
        self.assertGreaterEqual(waited, 1.4)
        self.ecs.stop_task(cluster=CLUSTER, task=task["taskArn"])
        self.wait_for(task["taskArn"], [TERMINAL])

    def test_throttled_describe_tasks(self):
        td = self.register("throttled", [container(command=["sleep", "30"])])
        task = self.run_task(td)[0]
        self.arm({"service": "ecs", "operation": "DescribeTasks", "count": 2, "status": 400,
                  "code": "ThrottlingException", "message": "Rate exceeded"})
        once = self.sim.client("ecs", retries={"total_max_attempts": 1})
        self.assertClientError(once.describe_tasks, "ThrottlingException", "Rate exceeded",
                               cluster=CLUSTER, tasks=[task["taskArn"]])
        retrying = self.sim.client("ecs", retries={"max_attempts": 3, "mode": "standard"})
        out = retrying.describe_tasks(cluster=CLUSTER, tasks=[task["taskArn"]])
        self.assertEqual(out["tasks"][0]["taskArn"], task["taskArn"])
        self.assertEqual(out["ResponseMetadata"]["RetryAttempts"], 1)
        self.ecs.stop_task(cluster=CLUSTER, task=task["taskArn"])
        self.wait_for(task["taskArn"], [TERMINAL])


class ShutdownTest(TasksTestBase):
    def test_shutdown_reaps_every_task(self):
        marker = tempfile.mkdtemp(prefix="awssim-shutdown-")
        script = "echo $$ > %s/$NAME; exec sleep 300" % marker
        td = self.register("reap", [
            container("a", command=["sh", "-c", script],
                      environment=[{"name": "NAME", "value": "a"}]),
            container("b", command=["sh", "-c", "trap '' TERM; " + script.replace(
                "exec sleep 300", "while :; do sleep 1; done")],
                environment=[{"name": "NAME", "value": "b"}]),
        ])
        task = self.run_task(td)[0]
        self.wait_for(task["taskArn"], ["RUNNING"])
        pids = []
        for name in ("a", "b"):
            deadline = time.monotonic() + 10
            while True:
                try:
                    with open(os.path.join(marker, name)) as f:
                        pids.append(int(f.read()))
                    break
                except (FileNotFoundError, ValueError):
                    self.assertLess(time.monotonic(), deadline, "no pid from container " + name)
                    time.sleep(0.02)
        shutil.rmtree(marker, ignore_errors=True)
        self.sim.proc.terminate()
        self.assertEqual(self.sim.proc.wait(timeout=20), 0)
        for pid in pids:
            with self.assertRaises(ProcessLookupError):
                os.kill(pid, 0)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: awssim_tasks_test.py PATH/TO/sockerless-awssim PATH/TO/sockerless-agent")
    SIM_BINARY = os.path.abspath(sys.argv.pop(1))
    AGENT_BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
