"""Runs sockerless-awssim for conformance tests and hands out clients pointed at it.

A simulator gets a private temporary state directory and a free port on 127.0.0.1; stop() ends
it by its PID and removes the directory (unless the caller keeps it to restart on the same
state).
"""

import json
import os
import shutil
import subprocess
import tempfile

import boto3
import requests
from botocore.config import Config

ROOT_KEY = "test"
ROOT_SECRET = "test"
LISTENING = "sockerless-awssim listening on "


class AwsSim:
    def __init__(self, binary, region="us-east-1", state_dir=None):
        self.binary = binary
        self.region = region
        self.tmp = None
        self.state_dir = state_dir
        self.proc = None
        self.url = None
        self.port = None

    def start(self):
        if self.state_dir is None:
            self.tmp = tempfile.mkdtemp(prefix="awssim-test-")
            self.state_dir = os.path.join(self.tmp, "state")
        self.proc = subprocess.Popen(
            [self.binary, "--listen", "127.0.0.1:0", "--state-dir", self.state_dir,
             "--region", self.region],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith(LISTENING):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("unexpected first line from the simulator: %r" % line)
        self.url = line[len(LISTENING):]
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def stop(self, keep_state=False):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.proc.stderr.close()
            self.proc = None
        if self.tmp is not None and not keep_state:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def client(self, service, key=ROOT_KEY, secret=ROOT_SECRET, token=None, endpoint=None,
               **config):
        config.setdefault("retries", {"max_attempts": 1})
        return boto3.client(service, endpoint_url=endpoint or self.url, region_name=self.region,
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            aws_session_token=token, config=Config(**config))

    def issue_session(self, role_arn, session_name="conformance"):
        """Role-session credentials from the admin route, as a task would get them."""
        res = requests.post(self.url + "/_awssim/sessions",
                            data=json.dumps({"role_arn": role_arn, "session_name": session_name}),
                            timeout=10)
        res.raise_for_status()
        return res.json()

    def cli_env(self, key=ROOT_KEY, secret=ROOT_SECRET, token=None):
        """Environment for the aws CLI: these credentials only, no user configuration."""
        env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
                   AWS_DEFAULT_REGION=self.region, AWS_CONFIG_FILE=os.devnull,
                   AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        if token:
            env["AWS_SESSION_TOKEN"] = token
        return env

    def aws(self, *args, env=None, timeout=120):
        """Runs the aws CLI against the simulator; returns the CompletedProcess."""
        return subprocess.run(["aws", "--endpoint-url", self.url, "--output", "json", *args],
                              env=env or self.cli_env(), capture_output=True, text=True,
                              timeout=timeout)
