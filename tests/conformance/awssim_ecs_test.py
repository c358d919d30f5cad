#!/usr/bin/env python3
"""Conformance of sockerless-awssim's ECS endpoint, checked with boto3 and the aws CLI.

Usage: awssim_ecs_test.py PATH/TO/sockerless-awssim

Starts the simulator on a free port with a private state dir, drives every implemented ECS
operation through boto3 (AWS's reference client) and compares shapes, error codes, messages and
HTTP statuses with what AWS answers. Stops the simulator by its PID.
"""

import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

import boto3
import botocore.auth
import requests
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

SIM_BINARY = None
REGION = "us-east-1"
TARGET = "AmazonEC2ContainerServiceV20141113"
MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.")


def container(name="app", **extra):
    return dict({"name": name, "image": "busybox", "memory": 128}, **extra)


class AwsSimEcsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="awssim-ecs-test-")
        cls.state_dir = os.path.join(cls.tmp, "state")
        cls.proc = subprocess.Popen(
            [SIM_BINARY, "--listen", "127.0.0.1:0", "--state-dir", cls.state_dir],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = cls.proc.stdout.readline().strip()
        prefix = "sockerless-awssim listening on "
        if not line.startswith(prefix):
            cls.proc.kill()
            raise RuntimeError("unexpected first line: %r" % line)
        cls.url = line[len(prefix):]
        cls.ecs = cls.client()

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        try:
            cls.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.proc.kill()
            cls.proc.wait()
        cls.proc.stdout.close()
        cls.proc.stderr.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def client(cls, key="test", secret="test"):
        return boto3.client("ecs", endpoint_url=cls.url, region_name=REGION,
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            config=Config(retries={"max_attempts": 1}))

    def assertClientError(self, call, code, status=400, message=None, **kwargs):
        with self.assertRaises(ClientError) as ctx:
            call(**kwargs)
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status, err)
        if message is not None:
            self.assertEqual(err["Error"]["Message"], message)
        return err

    def register(self, family, **kwargs):
        args = {"family": family, "containerDefinitions": [container()]}
        args.update(kwargs)
        return self.ecs.register_task_definition(**args)

    def signed_post(self, operation, body, secret="test", when=None):
        request = AWSRequest(method="POST", url=self.url + "/", data=body, headers={
            "X-Amz-Target": TARGET + "." + operation,
            "Content-Type": "application/x-amz-json-1.1"})
        signer = botocore.auth.SigV4Auth(Credentials("test", secret), "ecs", REGION)
        if when is None:
            signer.add_auth(request)
        else:
            with mock.patch("botocore.auth.get_current_datetime", return_value=when):
                signer.add_auth(request)
        return requests.post(self.url + "/", data=body, headers=dict(request.headers), timeout=10)

    # --- clusters ---

    def test_cluster_lifecycle(self):
        out = self.ecs.create_cluster(clusterName="life", tags=[{"key": "k", "value": "v"}])
        cluster = out["cluster"]
        arn = "arn:aws:ecs:us-east-1:000000000000:cluster/life"
        self.assertEqual(cluster["clusterArn"], arn)
        self.assertEqual(cluster["clusterName"], "life")
        self.assertEqual(cluster["status"], "ACTIVE")
        self.assertEqual(cluster["runningTasksCount"], 0)
        self.assertTrue(out["ResponseMetadata"]["RequestId"])
        self.assertEqual(out["ResponseMetadata"]["HTTPHeaders"]["content-type"],
                         "application/x-amz-json-1.1")
        again = self.ecs.create_cluster(clusterName="life")
        self.assertEqual(again["cluster"]["clusterArn"], arn)

        described = self.ecs.describe_clusters(clusters=["life", arn, "ghost"], include=["TAGS"])
        self.assertEqual([c["clusterArn"] for c in described["clusters"]], [arn, arn])
        self.assertEqual(described["clusters"][0]["tags"], [{"key": "k", "value": "v"}])
        self.assertEqual(described["failures"], [
            {"arn": "arn:aws:ecs:us-east-1:000000000000:cluster/ghost", "reason": "MISSING"}])

        deleted = self.ecs.delete_cluster(cluster="life")
        self.assertEqual(deleted["cluster"]["status"], "INACTIVE")
        self.assertEqual(self.ecs.describe_clusters(clusters=["life"])["clusters"][0]["status"],
                         "INACTIVE")
        self.assertClientError(self.ecs.delete_cluster, "ClusterNotFoundException",
                               message="Cluster not found.", cluster="life")

    def test_default_cluster(self):
        self.assertEqual(self.ecs.create_cluster()["cluster"]["clusterName"], "default")
        names = [c["clusterName"] for c in self.ecs.describe_clusters()["clusters"]]
        self.assertEqual(names, ["default"])

    def test_cluster_errors(self):
        self.assertClientError(self.ecs.delete_cluster, "ClusterNotFoundException",
                               cluster="never-existed")
        self.assertClientError(self.ecs.create_cluster, "InvalidParameterException",
                               clusterName="bad name!")

    # --- task definitions ---

    def test_register_revisions_and_shape(self):
        first = self.register("revs", tags=[{"key": "team", "value": "a"}])
        td = first["taskDefinition"]
        self.assertEqual(td["taskDefinitionArn"],
                         "arn:aws:ecs:us-east-1:000000000000:task-definition/revs:1")
        self.assertEqual(td["revision"], 1)
        self.assertEqual(td["status"], "ACTIVE")
        self.assertEqual(td["family"], "revs")
        self.assertIsInstance(td["registeredAt"], datetime.datetime)
        self.assertEqual(td["containerDefinitions"][0]["essential"], True)
        self.assertEqual(first["tags"], [{"key": "team", "value": "a"}])
        self.assertEqual(self.register("revs")["taskDefinition"]["revision"], 2)

    def test_register_fargate(self):
        ok = self.register("fg", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                           cpu="1 vCPU", memory="2 GB",
                           containerDefinitions=[{"name": "a", "image": "busybox"}])
        td = ok["taskDefinition"]
        self.assertEqual((td["cpu"], td["memory"]), ("1024", "2048"))
        self.assertEqual(td["requiresCompatibilities"], ["FARGATE"])
        self.assertIn("FARGATE", td["compatibilities"])
        for cpu, memory in [("256", "4096"), ("1024", "1024"), ("8192", "18432"),
                            ("16384", "36864"), ("512", "512")]:
            self.assertClientError(
                self.register, "ClientException",
                message="No Fargate configuration exists for given values: %s CPU, %s memory. "
                        "See the Amazon ECS documentation for the valid values." % (cpu, memory),
                family="fgbad", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                cpu=cpu, memory=memory)
        for cpu, memory in [("256", "512"), ("4096", "30720"), ("8192", "20480"),
                            ("16384", "122880")]:
            self.register("fgok", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                          cpu=cpu, memory=memory)
        self.assertClientError(self.register, "ClientException",
                               message="Fargate only supports network mode 'awsvpc'.",
                               family="fgmode", requiresCompatibilities=["FARGATE"],
                               cpu="256", memory="512")
        self.assertClientError(self.register, "ClientException", family="fgcpu",
                               requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                               memory="512")

    def test_register_validation(self):
        big = [{"name": "v%d" % i, "value": "x" * 1000} for i in range(70)]
        err = self.assertClientError(self.register, "ClientException", family="big",
                                     containerDefinitions=[container(environment=big)])
        self.assertRegex(err["Error"]["Message"],
                         r"^Actual length: '\d+'. Max allowed length is '65536' bytes.$")
        self.assertClientError(self.register, "ClientException",
                               message="Container list cannot be empty.",
                               family="empty", containerDefinitions=[])
        self.assertClientError(
            self.register, "ClientException",
            message="Invalid setting for container 'nomem'. At least one of 'memory' or "
                    "'memoryReservation' must be specified.",
            family="nomem", containerDefinitions=[{"name": "nomem", "image": "busybox"}])
        self.assertClientError(self.register, "ClientException", family="bad family")

    def test_describe_task_definition(self):
        arn = self.register("desc", tags=[{"key": "a", "value": "b"}])[
            "taskDefinition"]["taskDefinitionArn"]
        self.register("desc")
        self.assertEqual(
            self.ecs.describe_task_definition(taskDefinition="desc")["taskDefinition"]["revision"],
            2)
        by_rev = self.ecs.describe_task_definition(taskDefinition="desc:1")
        self.assertEqual(by_rev["taskDefinition"]["taskDefinitionArn"], arn)
        self.assertNotIn("tags", by_rev)
        by_arn = self.ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
        self.assertEqual(by_arn["tags"], [{"key": "a", "value": "b"}])
        for ident in ["nosuch", "desc:9", "desc:x"]:
            self.assertClientError(self.ecs.describe_task_definition, "ClientException",
                                   message="Unable to describe task definition.",
                                   taskDefinition=ident)

    def test_deregister_and_list(self):
        for _ in range(3):
            self.register("dereg")
        out = self.ecs.deregister_task_definition(taskDefinition="dereg:2")
        self.assertEqual(out["taskDefinition"]["status"], "INACTIVE")
        self.assertIsInstance(out["taskDefinition"]["deregisteredAt"], datetime.datetime)
        arn = "arn:aws:ecs:us-east-1:000000000000:task-definition/dereg:%d"
        active = self.ecs.list_task_definitions(familyPrefix="dereg")["taskDefinitionArns"]
        self.assertEqual(active, [arn % 1, arn % 3])
        inactive = self.ecs.list_task_definitions(familyPrefix="dereg", status="INACTIVE")
        self.assertEqual(inactive["taskDefinitionArns"], [arn % 2])
        desc = self.ecs.list_task_definitions(familyPrefix="dereg", sort="DESC")
        self.assertEqual(desc["taskDefinitionArns"], [arn % 3, arn % 1])
        self.assertEqual(self.ecs.describe_task_definition(taskDefinition="dereg")[
            "taskDefinition"]["revision"], 3)
        self.assertClientError(self.ecs.deregister_task_definition, "ClientException",
                               taskDefinition="dereg:7")

    def test_list_pagination(self):
        for _ in range(5):
            self.register("pages")
        first = self.ecs.list_task_definitions(familyPrefix="pages", maxResults=2)
        self.assertEqual(len(first["taskDefinitionArns"]), 2)
        self.assertIn("nextToken", first)
        pages = self.ecs.get_paginator("list_task_definitions").paginate(
            familyPrefix="pages", PaginationConfig={"PageSize": 2})
        arns = [a for page in pages for a in page["taskDefinitionArns"]]
        self.assertEqual(arns, ["arn:aws:ecs:us-east-1:000000000000:task-definition/pages:%d" % i
                                for i in range(1, 6)])
        self.assertClientError(self.ecs.list_task_definitions, "InvalidParameterException",
                               familyPrefix="pages", nextToken="garbage")
        self.assertClientError(self.ecs.list_task_definitions, "InvalidParameterException",
                               maxResults=101)

    # --- tags ---

    def test_tags(self):
        arn = self.ecs.create_cluster(clusterName="tagged")["cluster"]["clusterArn"]
        self.ecs.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"},
                                                      {"key": "b", "value": "2"}])
        self.ecs.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "3"}])
        self.assertEqual(self.ecs.list_tags_for_resource(resourceArn=arn)["tags"],
                         [{"key": "a", "value": "3"}, {"key": "b", "value": "2"}])
        self.ecs.untag_resource(resourceArn=arn, tagKeys=["a", "missing"])
        self.assertEqual(self.ecs.list_tags_for_resource(resourceArn=arn)["tags"],
                         [{"key": "b", "value": "2"}])
        td_arn = self.register("tagtd")["taskDefinition"]["taskDefinitionArn"]
        self.ecs.tag_resource(resourceArn=td_arn, tags=[{"key": "x", "value": "y"}])
        self.assertEqual(self.ecs.list_tags_for_resource(resourceArn=td_arn)["tags"],
                         [{"key": "x", "value": "y"}])

    def test_tag_limits(self):
        arn = self.ecs.create_cluster(clusterName="limits")["cluster"]["clusterArn"]
        fifty = [{"key": "k%d" % i, "value": "v"} for i in range(50)]
        self.ecs.tag_resource(resourceArn=arn, tags=fifty)
        self.assertClientError(self.ecs.tag_resource, "InvalidParameterException",
                               resourceArn=arn, tags=[{"key": "one-more", "value": "v"}])
        self.assertClientError(self.ecs.tag_resource, "InvalidParameterException",
                               resourceArn=arn, tags=[{"key": "k" * 129, "value": "v"}])
        self.ecs.tag_resource(resourceArn=arn, tags=[{"key": "k0", "value": "é" * 256}])
        self.assertClientError(self.ecs.tag_resource, "InvalidParameterException",
                               resourceArn=arn, tags=[{"key": "k1", "value": "v" * 257}])
        self.assertClientError(self.ecs.tag_resource, "InvalidParameterException",
                               resourceArn=arn, tags=[{"key": "AWS:x", "value": "v"}])
        self.assertClientError(self.ecs.create_cluster, "InvalidParameterException",
                               clusterName="toomany",
                               tags=fifty + [{"key": "extra", "value": "v"}])

    def test_tag_unknown_resources(self):
        self.assertClientError(
            self.ecs.list_tags_for_resource, "ClusterNotFoundException",
            resourceArn="arn:aws:ecs:us-east-1:000000000000:cluster/ghost")
        self.assertClientError(
            self.ecs.list_tags_for_resource, "ResourceNotFoundException",
            resourceArn="arn:aws:ecs:us-east-1:000000000000:task-definition/ghost:1")
        self.assertClientError(self.ecs.tag_resource, "InvalidParameterException",
                               resourceArn="not-an-arn", tags=[{"key": "a", "value": "b"}])

    # --- authentication and protocol ---

    def test_wrong_secret(self):
        self.assertClientError(self.client(secret="wrong").list_task_definitions,
                               "InvalidSignatureException", status=403, message=MISMATCH)

    def test_unknown_access_key(self):
        self.assertClientError(
            self.client(key="AKIDUNKNOWN").list_task_definitions, "UnrecognizedClientException",
            status=403, message="The security token included in the request is invalid.")

    def test_missing_authentication(self):
        res = requests.post(self.url + "/", data="{}", timeout=10, headers={
            "X-Amz-Target": TARGET + ".ListTaskDefinitions",
            "Content-Type": "application/x-amz-json-1.1"})
        self.assertEqual(res.status_code, 403)
        self.assertEqual(res.json(), {"__type": "MissingAuthenticationTokenException",
                                      "message": "Missing Authentication Token"})

    def test_expired_signature(self):
        old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
        res = self.signed_post("ListTaskDefinitions", "{}", when=old)
        self.assertEqual(res.status_code, 403)
        self.assertEqual(res.json()["__type"], "InvalidSignatureException")
        self.assertRegex(res.json()["message"],
                         r"^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z "
                         r"\(\d{8}T\d{6}Z - 15 min.\)$")
        recent = datetime.datetime.utcnow() - datetime.timedelta(minutes=5)
        self.assertEqual(self.signed_post("ListTaskDefinitions", "{}", when=recent).status_code,
                         200)

    def test_unknown_operation(self):
        res = self.signed_post("Frobnicate", "{}")
        self.assertEqual(res.status_code, 400)
        self.assertEqual(res.json()["__type"], "UnknownOperationException")
        self.assertTrue(res.headers["x-amzn-RequestId"])

    def test_keep_alive(self):
        with requests.Session() as session:
            for _ in range(3):
                res = session.post(self.url + "/", data="{}", timeout=10)
                self.assertEqual(res.status_code, 403)

    def test_aws_cli(self):
        self.register("cli")
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=os.devnull,
                   AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        out = subprocess.run(["aws", "--endpoint-url", self.url, "--output", "json",
                              "ecs", "list-task-definitions", "--family-prefix", "cli"],
                             env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout)["taskDefinitionArns"],
                         ["arn:aws:ecs:us-east-1:000000000000:task-definition/cli:1"])

    def test_writes_only_inside_state_dir(self):
        self.assertTrue(os.path.isdir(self.state_dir))
        self.assertEqual(os.listdir(self.tmp), ["state"])


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: awssim_ecs_test.py PATH/TO/sockerless-awssim")
    SIM_BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
