#!/usr/bin/env python3
"""`sockerless-admin payload-bucket` as an operator runs it, against the simulator.

Usage: admin_payload_bucket_test.py PATH/TO/sockerless-awssim PATH/TO/sockerless-admin

Starts sockerless-awssim (host container mode) on a free port with a private state dir and runs
the built sockerless-admin with AWS_ENDPOINT_URL pointing at it (credentials test/test, region
us-east-1, instance metadata disabled, HOME a temp dir: nothing else is read or reached). boto3
makes and inspects the buckets. Checks:
  - setup --create then check: exit 0, "set up correctly", and boto3 reads back every protection;
  - check of a bare bucket: exit 1, one line per missing protection;
  - setup requiring TLS over the simulator's plain HTTP: refused (exit 2) before any change;
  - the configuration file is read, and a configuration the daemon would refuse is refused;
  - policies: one JSON object whose task-role policy grants only s3:GetObject on
    bucket/prefix/*, and which, granted to a role as a bucket policy, lets that role's session
    read a payload but neither list, write nor read outside the prefix (the simulator enforces
    bucket policies).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

SIM_BINARY = None
ADMIN_BINARY = None

LISTENING = "sockerless-awssim listening on "
REGION = "us-east-1"
PREFIX = "sockerless-payloads"
ROLE = "arn:aws:iam::000000000000:role/sockerless-task"


class Simulator:
    def __init__(self, binary, tmp):
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--state-dir", os.path.join(tmp, "state"),
             "--region", REGION, "--container-mode", "host"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith(LISTENING):
            self.stop()
            raise RuntimeError("unexpected first line from the simulator: %r" % line)
        self.url = line[len(LISTENING):]

    def client(self, service, **credentials):
        keys = credentials or {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            config=Config(retries={"max_attempts": 1}), **keys)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


class AdminPayloadBucketTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="admin_payload_bucket_test.")
        cls.sim = Simulator(SIM_BINARY, cls.tmp)
        cls.s3 = cls.sim.client("s3")
        cls.count = 0

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def new_name(self):
        type(self).count += 1
        return "admin-test-%d-%d" % (os.getpid(), self.count)

    def admin(self, *args, bucket=None, env=None):
        """Runs sockerless-admin payload-bucket ARGS; (exit status, stdout lines, stderr lines)."""
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.tmp,
            "AWS_ENDPOINT_URL": self.sim.url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "SOCKERLESS_ECS_SUBNETS": "subnet-0123456789abcdef0",
            "SOCKERLESS_ECS_AGENT_IMAGE": "sockerless-agent:test",
        }
        if bucket:
            environment["SOCKERLESS_ECS_PAYLOAD_BUCKET"] = bucket
        environment.update(env or {})
        done = subprocess.run([ADMIN_BINARY, "payload-bucket", *args], env=environment,
                              capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout.splitlines(), done.stderr.splitlines()

    def bare_bucket(self):
        """A bucket as S3 makes it, without the public access block S3 gives new buckets.

        Default encryption cannot be removed: S3 falls back to SSE-S3, and so does the simulator.
        """
        name = self.new_name()
        self.s3.create_bucket(Bucket=name)
        self.s3.delete_public_access_block(Bucket=name)
        return name

    def missing(self, call, code, **kwargs):
        with self.assertRaises(ClientError) as caught:
            call(**kwargs)
        self.assertEqual(caught.exception.response["Error"]["Code"], code)

    def test_setup_create_then_check(self):
        bucket = self.new_name()
        status, out, err = self.admin("setup", "--create", "--no-require-tls", bucket=bucket)
        self.assertEqual(status, 0, err)
        self.assertEqual(out, ["payload bucket %s: set up correctly" % bucket])
        self.assertEqual(len(err), 1, err)
        self.assertTrue(err[0].startswith("warning: payload bucket %s: --no-require-tls" % bucket))

        block = self.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        self.assertEqual(block, {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                 "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
        rules = self.s3.get_bucket_encryption(Bucket=bucket)[
            "ServerSideEncryptionConfiguration"]["Rules"]
        self.assertEqual(rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256")
        lifecycle = self.s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        self.assertEqual(len(lifecycle), 1)
        self.assertEqual(lifecycle[0]["ID"], "sockerless-payloads")
        self.assertEqual(lifecycle[0]["Filter"], {"Prefix": PREFIX + "/"})
        self.assertEqual(lifecycle[0]["Status"], "Enabled")
        self.assertEqual(lifecycle[0]["Expiration"], {"Days": 1})
        self.assertEqual(lifecycle[0]["AbortIncompleteMultipartUpload"],
                         {"DaysAfterInitiation": 1})
        self.missing(self.s3.get_bucket_policy, "NoSuchBucketPolicy", Bucket=bucket)

        status, out, err = self.admin("check", "--no-require-tls", bucket=bucket)
        self.assertEqual(status, 0, err)
        self.assertEqual(out, ["payload bucket %s: set up correctly" % bucket])

        # Again: nothing to change, still fine.
        status, out, err = self.admin("setup", "--no-require-tls", bucket=bucket)
        self.assertEqual(status, 0, err)

    def test_check_of_a_bare_bucket_lists_each_missing_protection(self):
        bucket = self.bare_bucket()
        status, out, err = self.admin("check", bucket=bucket)
        self.assertEqual(status, 1, err)
        line = "payload bucket %s: " % bucket
        self.assertEqual(out, [
            line + "public access block: none (want all four settings on)",
            line + "bucket policy: none (want a statement denying requests without TLS)",
            line + "lifecycle: no enabled rule expires objects under %s/ after 1 day" % PREFIX,
            line + "lifecycle: no enabled rule aborts incomplete multipart uploads under %s/ "
                   "after 1 day" % PREFIX,
        ])
        self.assertEqual(err[-1],
                         line + "4 problems; `sockerless-admin payload-bucket setup` fixes them")

        # One protection put back by hand: one line fewer.
        self.s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False})
        status, out, err = self.admin("check", "--no-require-tls", bucket=bucket)
        self.assertEqual(status, 1, err)
        self.assertEqual(out[0], line + "public access block: RestrictPublicBuckets is off")
        self.assertEqual(len(out), 3, out)

    def test_setup_requiring_tls_over_plain_http_is_refused_before_any_change(self):
        bucket = self.bare_bucket()
        status, out, err = self.admin("setup", bucket=bucket)
        self.assertEqual(status, 2)
        self.assertEqual(out, [])
        self.assertEqual(len(err), 1, err)
        self.assertIn("payload bucket %s: the S3 endpoint %s is plain HTTP" % (bucket, self.sim.url),
                      err[0])
        self.assertIn("--no-require-tls", err[0])
        self.missing(self.s3.get_bucket_lifecycle_configuration, "NoSuchLifecycleConfiguration",
                     Bucket=bucket)
        self.missing(self.s3.get_public_access_block, "NoSuchPublicAccessBlockConfiguration",
                     Bucket=bucket)

    def test_a_missing_bucket_is_one_line_saying_how_to_create_it(self):
        bucket = self.new_name()
        status, out, err = self.admin("check", "--no-require-tls", bucket=bucket)
        self.assertEqual(status, 1)
        self.assertEqual(out, [])
        self.assertEqual(len(err), 2, err)  # the --no-require-tls warning, then the failure
        self.assertTrue(err[1].startswith("payload bucket %s: check failed: " % bucket), err[1])
        self.assertIn("NoSuchBucket", err[1])
        self.assertTrue(err[1].endswith("create it with `sockerless-admin payload-bucket setup "
                                        "--create`"), err[1])

    def test_configuration_file_and_its_problems(self):
        bucket = self.new_name()
        config = os.path.join(self.tmp, "ecs.yaml")
        with open(config, "w") as f:
            f.write("region: %s\nsubnets: [subnet-0123456789abcdef0]\nagent_image: agent:1\n"
                    "payload_bucket: %s\npayload_prefix: team/payloads\nendpoint_url: %s\n"
                    % (REGION, bucket, self.sim.url))
        # Only credentials come from the environment; the endpoint is the file's.
        env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}
        status, out, err = self.admin("setup", "--create", "--no-require-tls", "--config", config,
                                      env=env)
        self.assertEqual(status, 0, err)
        lifecycle = self.s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        self.assertEqual(lifecycle[0]["Filter"], {"Prefix": "team/payloads/"})

        with open(config, "a") as f:
            f.write("payload_mode: sometimes\nagent_port: 0\n")
        status, out, err = self.admin("check", "--config", config, env=env)
        self.assertEqual(status, 2)
        self.assertEqual(out, [])
        text = "\n".join(err)
        self.assertIn("invalid ECS backend configuration (2 problems)", text)
        self.assertIn("payload_mode:", text)
        self.assertIn("agent_port:", text)

    def test_help(self):
        status, out, _ = self.admin("--help")
        self.assertEqual(status, 0)
        self.assertTrue(any("setup" in line for line in out), out)
        status, _, err = self.admin("frobnicate")
        self.assertEqual(status, 2, err)

    def test_policies_task_role_may_only_get_objects_under_the_prefix(self):
        bucket = self.new_name()
        status, out, err = self.admin("policies", bucket=bucket)
        self.assertEqual(status, 0, err)
        policies = json.loads("\n".join(out))
        self.assertEqual(sorted(policies), ["daemon", "task_role"])

        task = policies["task_role"]
        self.assertEqual(task["Version"], "2012-10-17")
        self.assertEqual(len(task["Statement"]), 1)
        statement = task["Statement"][0]
        self.assertEqual(statement["Effect"], "Allow")
        actions = statement["Action"]
        self.assertEqual(actions if isinstance(actions, list) else [actions], ["s3:GetObject"])
        self.assertEqual(statement["Resource"], "arn:aws:s3:::%s/%s/*" % (bucket, PREFIX))
        self.assertNotIn("Condition", statement)

        daemon_actions = set()
        for st in policies["daemon"]["Statement"]:
            acts = st["Action"]
            daemon_actions.update(acts if isinstance(acts, list) else [acts])
        self.assertTrue({"s3:PutObject", "s3:DeleteObject", "s3:ListBucket",
                         "s3:PutBucketPolicy"} <= daemon_actions, daemon_actions)

        # The simulator has no IAM: the task-role document becomes a bucket policy for the role,
        # and the role's session gets exactly what it grants.
        self.s3.create_bucket(Bucket=bucket)
        granted = dict(statement, Principal={"AWS": ROLE})
        self.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(
            {"Version": "2012-10-17", "Statement": [granted]}))
        key = "%s/%s/nonce/payload.json" % (PREFIX, "c" * 64)
        self.s3.put_object(Bucket=bucket, Key=key, Body=b"{}")
        self.s3.put_object(Bucket=bucket, Key="outside/payload.json", Body=b"{}")
        session = requests.post(self.sim.url + "/_awssim/sessions", timeout=10, json={
            "role_arn": ROLE, "session_name": "admin-test", "duration_seconds": 900}).json()
        task_s3 = self.sim.client("s3", aws_access_key_id=session["AccessKeyId"],
                                  aws_secret_access_key=session["SecretAccessKey"],
                                  aws_session_token=session["Token"])
        self.assertEqual(task_s3.get_object(Bucket=bucket, Key=key)["Body"].read(), b"{}")
        self.missing(task_s3.list_objects_v2, "AccessDenied", Bucket=bucket, Prefix=PREFIX + "/")
        self.missing(task_s3.put_object, "AccessDenied", Bucket=bucket, Key=key, Body=b"x")
        self.missing(task_s3.delete_object, "AccessDenied", Bucket=bucket, Key=key)
        self.missing(task_s3.get_object, "AccessDenied", Bucket=bucket,
                     Key="outside/payload.json")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: admin_payload_bucket_test.py SOCKERLESS_AWSSIM SOCKERLESS_ADMIN")
    SIM_BINARY, ADMIN_BINARY = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], "-v"])
