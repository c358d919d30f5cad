#!/usr/bin/env python3
"""The agent's pointer launch against the simulator, with the agent running as a real task.

Usage: agent_payload_test.py PATH/TO/sockerless-awssim PATH/TO/sockerless-agent

Starts sockerless-awssim (host container mode) on a free port with a private state dir, creates a
payload bucket whose policy lets the task role read under one prefix, puts launch payloads with
boto3, and runs tasks whose entry point is the agent and whose overrides carry only the payload
pointer. The simulator gives each task its role's credentials through the container-credentials
endpoint, which is where the agent gets them. Checks:
  - a good payload: the main process runs with the payload's argv, env, workdir and user; the
    agent's health answers, its token from the payload opens an exec session, and neither the
    token nor the pointer variables reach the processes;
  - one retried 503 from S3 does not fail the launch;
  - each failure (no task role, missing key, access denied, length mismatch, flipped byte,
    malformed JSON) stops the task before the process runs, with its exit code and exactly one
    "sockerless-agent: payload: ..." line in the task's log;
  - https through a TLS terminator in front of the simulator, at https://localhost:PORT with a
    certificate from a CA made for the run: trusted through SOCKERLESS_AGENT_CA_BUNDLE it works
    (localhost resolved by c-ares from /etc/hosts); with the built-in bundle alone it exits 95.
Every wait is a bounded poll; the simulator and the terminator are stopped by the test.
"""

import base64
import hashlib
import json
import os
import random
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import boto3
import requests
from botocore.config import Config

SIM_BINARY = None
AGENT_BINARY = None

LISTENING = "sockerless-awssim listening on "
REGION = "us-east-1"
CLUSTER = "payload"
BUCKET = "sockerless-payloads"
PREFIX = "sockerless"
ROLE = "arn:aws:iam::000000000000:role/sockerless-task"
AGENT_PORT = 9111
LOG_GROUP = "/ecs/agent-payload"
NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"],
                                   "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}}
LINE = "sockerless-agent: payload: "

EXIT_CREDENTIALS = 90
EXIT_MISSING = 91
EXIT_DENIED = 92
EXIT_LENGTH = 93
EXIT_DIGEST = 94
EXIT_NETWORK = 95
EXIT_MALFORMED = 96

# What the main process reports about itself, one fact per line, then it stays up.
MAIN_SCRIPT = ('echo "argv0=$0"; echo "argv1=$1"; echo "greeting=$GREETING"; '
               'echo "pwd=$(pwd)"; echo "uid=$(id -u)"; '
               'echo "agentvars=$(env | grep -c ^SOCKERLESS_)"; exec sleep 300')


def wait_until(what, probe, timeout=30, interval=0.02):
    """Polls `probe` until it returns something truthy (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


class Simulator:
    def __init__(self, binary, tmp):
        self.state_dir = os.path.join(tmp, "state")
        subnet = "127.%d.0.0/16" % random.randint(100, 250)
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--state-dir", self.state_dir, "--region", REGION,
             "--container-mode", "host", "--task-subnet", subnet, "--provisioning-delay", "20"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith(LISTENING):
            self.stop()
            raise RuntimeError("unexpected first line from the simulator: %r" % line)
        self.url = line[len(LISTENING):]
        self.port = int(self.url.rsplit(":", 1)[1])

    def client(self, service):
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(retries={"max_attempts": 1}))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


class TlsTerminator:
    """TLS on 127.0.0.1 in front of a plain-HTTP port: bytes are copied both ways unchanged."""

    def __init__(self, cert, key, backend_port):
        self.backend_port = backend_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.threads = []
        self.acceptor = threading.Thread(target=self.accept_loop, daemon=True)
        self.acceptor.start()

    def accept_loop(self):
        while not self.stopping.is_set():
            try:
                raw, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            t = threading.Thread(target=self.serve, args=(raw,), daemon=True)
            self.threads.append(t)
            t.start()

    def serve(self, raw):
        raw.settimeout(30)
        try:
            tls = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()  # the client refused our certificate: that is a test case
            return
        backend = socket.create_connection(("127.0.0.1", self.backend_port), timeout=30)

        def pump(src, dst):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        back = threading.Thread(target=pump, args=(backend, tls), daemon=True)
        back.start()
        pump(tls, backend)
        back.join(timeout=30)
        tls.close()
        backend.close()

    def stop(self):
        self.stopping.set()
        self.acceptor.join(timeout=5)
        self.listener.close()
        for t in self.threads:
            t.join(timeout=5)


def make_certificates(directory):
    """A CA made for this run, and a server certificate for localhost and 127.0.0.1 it signed."""
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)
    ca_key, ca = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.pem")
    key, csr = os.path.join(directory, "server.key"), os.path.join(directory, "server.csr")
    cert, ext = os.path.join(directory, "server.pem"), os.path.join(directory, "server.ext")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "1",
            "-subj", "/CN=sockerless payload test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
            "-out", cert, "-days", "1", "-extfile", ext)
    return ca, cert, key


class AgentConnection:
    """A minimal WebSocket client for the agent protocol (docs/agent-protocol.md, 3 and 4)."""

    def __init__(self, ip, port, token):
        self.sock = socket.create_connection((ip, port), timeout=10)
        self.buffer = b""
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n"
            "Authorization: Bearer %s\r\nSec-WebSocket-Protocol: sockerless-agent.v1\r\n\r\n"
            % (ip, port, key, token)).encode())
        while b"\r\n\r\n" not in self.buffer:
            self.fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ", 2)[1])

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the agent closed the connection")
        self.buffer += data

    def take(self, n):
        while len(self.buffer) < n:
            self.fill()
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def recv(self):
        first, second = self.take(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack(">H", self.take(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", self.take(8))[0]
        return first & 0x0F, self.take(length)

    def send_json(self, message):
        payload = json.dumps(message).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        else:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def exec(self, argv):
        """Runs argv in the container; returns (exit code, stdout)."""
        opcode, hello = self.recv()
        assert opcode == 1 and json.loads(hello)["type"] == "hello", hello
        self.send_json({"type": "exec", "session": 1, "argv": argv})
        out = b""
        while True:
            opcode, data = self.recv()
            if opcode == 2 and data[4] == 1:
                out += data[5:]
            elif opcode == 1:
                message = json.loads(data)
                if message["type"] == "exit":
                    return message["code"], out.decode()
            elif opcode == 8:
                raise ConnectionError("the agent closed the WebSocket")

    def close(self):
        self.sock.close()


class AgentPayloadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="agent-payload-test-")
        os.chmod(cls.tmp, 0o755)
        cls.sim = Simulator(SIM_BINARY, cls.tmp)
        cls.s3 = cls.sim.client("s3")
        cls.ecs = cls.sim.client("ecs")
        cls.logs = cls.sim.client("logs")
        cls.s3.create_bucket(Bucket=BUCKET)
        # As the daemon sets it up: the task role reads under the prefix and nothing else. It may
        # also list the bucket here, because S3 answers 404 for a missing key only to a caller
        # that may list; without it a missing key is 403 (exit 92, not 91).
        cls.s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::%s/%s/*" % (BUCKET, PREFIX)},
                {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "s3:ListBucket",
                 "Resource": "arn:aws:s3:::" + BUCKET},
                {"Effect": "Deny", "Principal": {"AWS": ROLE}, "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::%s/%s/denied/*" % (BUCKET, PREFIX)},
            ]}))
        cls.ecs.create_cluster(clusterName=CLUSTER)
        cls.logs.create_log_group(logGroupName=LOG_GROUP)
        container = {
            "name": "main", "image": "busybox", "essential": True,
            "entryPoint": [AGENT_BINARY, "--"],
            "environment": [{"name": "SOCKERLESS_AGENT_PORT", "value": str(AGENT_PORT)}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": LOG_GROUP, "awslogs-region": REGION,
                "awslogs-stream-prefix": "ecs"}},
        }
        common = {"networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
                  "cpu": "256", "memory": "512", "containerDefinitions": [container]}
        cls.with_role = cls.ecs.register_task_definition(
            family="payload", taskRoleArn=ROLE, **common)["taskDefinition"]["taskDefinitionArn"]
        cls.without_role = cls.ecs.register_task_definition(
            family="payload-norole", **common)["taskDefinition"]["taskDefinitionArn"]
        cls.workdir = os.path.join(cls.tmp, "work dir")
        os.mkdir(cls.workdir)
        os.chmod(cls.workdir, 0o755)
        cls.certs = os.path.join(cls.tmp, "certs")
        os.mkdir(cls.certs)
        cls.ca, cert, key = make_certificates(cls.certs)
        cls.tls = TlsTerminator(cert, key, cls.sim.port)

    @classmethod
    def tearDownClass(cls):
        cls.tls.stop()
        cls.sim.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def tearDown(self):
        requests.delete(self.sim.url + "/_awssim/faults", timeout=10).raise_for_status()

    # ---- helpers -------------------------------------------------------------------------------

    def payload(self, token, **fields):
        doc = {"version": 1, "entrypoint": ["sh", "-c"],
               "cmd": [MAIN_SCRIPT, "arg-zero", "arg one"],
               "env": ["GREETING=hello from s3", "SOCKERLESS_AGENT_TOKEN=" + token],
               "workdir": self.workdir, "user": "nobody" if os.getuid() == 0 else "",
               "token": token, "tty": False, "openStdin": False, "stdinOnce": False,
               "keepAlive": False}
        doc.update(fields)
        return json.dumps(doc, separators=(",", ":")).encode()

    def put(self, name, body):
        key = "%s/%s/%s/payload.json" % (PREFIX, name, os.urandom(8).hex())
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body, ServerSideEncryption="AES256")
        return key

    def pointer(self, key, body, endpoint=None, length=None, sha=None, extra=None):
        env = {"SOCKERLESS_PAYLOAD_URI": "s3://%s/%s" % (BUCKET, key),
               "SOCKERLESS_PAYLOAD_SHA256": sha or hashlib.sha256(body).hexdigest(),
               "SOCKERLESS_PAYLOAD_LENGTH": str(len(body) if length is None else length),
               "SOCKERLESS_PAYLOAD_ENDPOINT": endpoint or self.sim.url}
        env.update(extra or {})
        return env

    def run_agent_task(self, env, task_definition=None):
        out = self.ecs.run_task(
            cluster=CLUSTER, taskDefinition=task_definition or self.with_role,
            launchType="FARGATE", networkConfiguration=NETWORK,
            overrides={"containerOverrides": [{"name": "main", "environment": [
                {"name": k, "value": v} for k, v in env.items()]}]})
        self.assertEqual(out["failures"], [])
        return out["tasks"][0]["taskArn"]

    def describe(self, arn):
        return self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]

    def wait_status(self, arn, statuses, timeout=60):
        return wait_until("task %s in %s" % (arn, statuses),
                          lambda: (lambda t: t if t["lastStatus"] in statuses else None)(
                              self.describe(arn)), timeout=timeout)

    def log_lines(self, arn):
        stream = "ecs/main/" + arn.rsplit("/", 1)[1]
        try:
            out = self.logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=stream,
                                           startFromHead=True)
        except self.logs.exceptions.ResourceNotFoundException:
            return []
        return [e["message"] for e in out["events"]]

    def wait_log(self, arn, predicate, what):
        return wait_until(what + " in the log of " + arn,
                          lambda: (lambda lines: lines if any(map(predicate, lines)) else None)(
                              self.log_lines(arn)))

    def assert_stopped_with(self, arn, code, *needles):
        task = self.wait_status(arn, ["STOPPED"])
        lines = self.log_lines(arn)
        self.assertEqual(task["containers"][0].get("exitCode"), code, lines)
        payload_lines = [l for l in lines if l.startswith(LINE)]
        self.assertEqual(len(payload_lines), 1, lines)
        line = payload_lines[0]
        for needle in needles:
            self.assertIn(needle, line)
        # The main process never ran, and nothing secret was logged.
        self.assertFalse(any(l.startswith("argv0=") for l in lines), lines)
        self.assertFalse(any("main process started" in l for l in lines), lines)
        return line

    def agent_address(self, arn):
        task = self.wait_status(arn, ["RUNNING"])
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        return details["privateIPv4Address"]

    def wait_healthy(self, ip, arn):
        def healthy():
            try:
                return requests.get("http://%s:%d/health" % (ip, AGENT_PORT),
                                    timeout=2).status_code == 200
            except requests.ConnectionError:
                return False
        wait_until("the agent's health (log: %s)" % self.log_lines(arn), healthy)

    # ---- the launch that works -----------------------------------------------------------------

    def test_payload_is_fetched_verified_and_applied(self):
        token = os.urandom(32).hex()
        body = self.payload(token)
        arn = self.run_agent_task(self.pointer(self.put("good", body), body))
        ip = self.agent_address(arn)
        self.wait_healthy(ip, arn)
        lines = self.wait_log(arn, lambda l: l.startswith("agentvars="), "the main process")
        facts = dict(l.split("=", 1) for l in lines if "=" in l and not l.startswith("sockerless"))
        self.assertEqual(facts["argv0"], "arg-zero")
        self.assertEqual(facts["argv1"], "arg one")
        self.assertEqual(facts["greeting"], "hello from s3")
        self.assertEqual(facts["pwd"], self.workdir)
        self.assertEqual(facts["agentvars"], "0")
        if os.getuid() == 0:
            self.assertEqual(facts["uid"], "65534")
        self.assertTrue(any("SHA-256 verified" in l for l in lines), lines)

        # The payload's token is the agent's: it opens a session, and a wrong one does not.
        wrong = AgentConnection(ip, AGENT_PORT, "0" * 64)
        self.assertEqual(wrong.status, 401)
        wrong.close()
        conn = AgentConnection(ip, AGENT_PORT, token)
        self.assertEqual(conn.status, 101)
        code, out = conn.exec(["sh", "-c", 'pwd; id -u; echo "$GREETING"; '
                               'env | grep -c ^SOCKERLESS_ || true'])
        conn.close()
        self.assertEqual(code, 0, out)
        pwd, uid, greeting, agentvars = out.splitlines()
        self.assertEqual(pwd, self.workdir)  # exec defaults to the container's workdir and user
        if os.getuid() == 0:
            self.assertEqual(uid, "65534")
        self.assertEqual(greeting, "hello from s3")
        self.assertEqual(agentvars, "0")

        self.ecs.stop_task(cluster=CLUSTER, task=arn)
        stopped = self.wait_status(arn, ["STOPPED"])
        self.assertEqual(stopped["containers"][0]["exitCode"], 143)
        self.assertFalse(any(token in l for l in self.log_lines(arn)))

    def test_a_server_error_from_s3_is_retried(self):
        token = os.urandom(32).hex()
        body = self.payload(token, cmd=["echo retried-ok", "x"])
        key = self.put("retry", body)
        res = requests.post(self.sim.url + "/_awssim/faults", timeout=10, data=json.dumps(
            {"service": "s3", "operation": "GetObject", "count": 1, "status": 503,
             "code": "SlowDown"}))
        self.assertEqual(res.status_code, 200, res.text)
        arn = self.run_agent_task(self.pointer(key, body))
        task = self.wait_status(arn, ["STOPPED"])
        lines = self.log_lines(arn)
        self.assertEqual(task["containers"][0].get("exitCode"), 0, lines)
        self.assertIn("retried-ok", lines)
        self.assertEqual(requests.get(self.sim.url + "/_awssim/faults", timeout=10).json(),
                         {"faults": []},
                         "the fault was not used up")

    # ---- each failure: its own exit code and one line -------------------------------------------

    def test_failures_exit_with_their_codes(self):
        token = os.urandom(32).hex()
        body = self.payload(token)
        flipped = bytearray(body)
        flipped[len(flipped) // 2] ^= 0x01
        malformed = b'{"version":1,"token":"' + token.encode() + b'",'
        cases = []  # (arn, code, needles)

        def launch(env, code, *needles, task_definition=None):
            cases.append((self.run_agent_task(env, task_definition), code, needles))

        good_key = self.put("shared", body)
        launch(self.pointer(good_key, body), EXIT_CREDENTIALS, "no task role credentials",
               task_definition=self.without_role)
        missing = "%s/missing/%s/payload.json" % (PREFIX, os.urandom(8).hex())
        launch(self.pointer(missing, body), EXIT_MISSING, "s3://%s/%s" % (BUCKET, missing),
               "NoSuchKey")
        launch(self.pointer(self.put("denied", body), body), EXIT_DENIED, "AccessDenied")
        launch(self.pointer(good_key, body, length=len(body) + 7), EXIT_LENGTH, "length mismatch")
        launch(self.pointer(self.put("flipped", bytes(flipped)), body), EXIT_DIGEST, "SHA-256")
        launch(self.pointer(self.put("malformed", malformed), malformed), EXIT_MALFORMED,
               "launch payload: not JSON")
        launch(self.pointer(good_key, body, extra={"SOCKERLESS_PAYLOAD_SHA256": "beef"}),
               EXIT_MALFORMED, "SOCKERLESS_PAYLOAD_SHA256")
        for arn, code, needles in cases:
            with self.subTest(code=code, needles=needles):
                line = self.assert_stopped_with(arn, code, *needles)
                self.assertNotIn(token, line)
                self.assertNotIn("ASIA", line)

    # ---- TLS -----------------------------------------------------------------------------------

    def test_https_with_the_test_ca_and_without_it(self):
        token = os.urandom(32).hex()
        body = self.payload(token, cmd=["echo tls-ok", "x"])
        key = self.put("tls", body)
        endpoint = "https://localhost:%d" % self.tls.port
        trusted = self.run_agent_task(self.pointer(
            key, body, endpoint=endpoint, extra={"SOCKERLESS_AGENT_CA_BUNDLE": self.ca}))
        untrusted = self.run_agent_task(self.pointer(key, body, endpoint=endpoint))
        task = self.wait_status(trusted, ["STOPPED"])
        lines = self.log_lines(trusted)
        self.assertEqual(task["containers"][0].get("exitCode"), 0, lines)
        self.assertIn("tls-ok", lines)
        self.assert_stopped_with(untrusted, EXIT_NETWORK, "https://localhost:%d" % self.tls.port,
                                 "certificate verification failed")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: agent_payload_test.py SOCKERLESS_AWSSIM SOCKERLESS_AGENT")
    SIM_BINARY, AGENT_BINARY = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
