#!/usr/bin/env python3
"""The Docker API's protocol edges over raw HTTP on the daemon's unix socket: version prefixes,
Docker's JSON errors and status codes, bad input of every kind (the daemon answers and keeps
serving), the request shapes real clients send, and 501 for what is not supported. Run by ctest
as daemon_protocol_test."""

import json
import os
import socket
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

S = None


def setUpModule():
    global S
    S = harness.module_session("protocol")


def tearDownModule():
    if S is not None:
        S.close()


def req(method, path, body=None, headers=None):
    return S.daemon.request(method, path, body=body, headers=headers)


def message(body):
    return json.loads(body)["message"]


class VersionsTest(unittest.TestCase):
    def test_ping(self):
        status, hdrs, body = req("GET", "/_ping")
        self.assertEqual((status, body), (200, b"OK"))
        self.assertEqual(hdrs["api-version"], "1.44")
        self.assertEqual(hdrs["ostype"], "linux")
        self.assertEqual(hdrs["docker-experimental"], "false")
        status, hdrs, body = req("HEAD", "/_ping")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(hdrs["api-version"], "1.44")

    def test_version_prefixes(self):
        for prefix in ("", "/v1.24", "/v1.41", "/v1.44", "/v1.45"):
            status, _, _ = req("GET", prefix + "/version")
            self.assertEqual(status, 200, prefix)
        status, _, body = req("GET", "/v1.23/version")
        self.assertEqual(status, 400)
        self.assertEqual(message(body), "client version 1.23 is too old. Minimum supported API "
                                        "version is 1.24, please upgrade your client to a newer "
                                        "version")

    def test_unknown_path(self):
        status, hdrs, body = req("GET", "/no/such/thing")
        self.assertEqual(status, 404)
        self.assertEqual(message(body), "page not found")
        self.assertTrue(hdrs["content-type"].startswith("application/json"))


class BadInputTest(unittest.TestCase):
    def tearDown(self):
        self.assertTrue(S.daemon.ping(), "the daemon stopped serving")

    def create(self, body, query=""):
        return req("POST", "/containers/create" + query, body=body)

    def test_malformed_json(self):
        status, _, body = self.create(b'{"Image": ')
        self.assertEqual(status, 400)
        self.assertIn("invalid JSON", message(body))

    def test_wrong_types(self):
        status, _, body = self.create({"Image": S.busybox, "Env": "A=1"})
        self.assertEqual(status, 400)
        self.assertIn("cannot unmarshal string", message(body))
        self.assertIn("Env", message(body))
        status, _, body = self.create({"Image": S.busybox, "Cmd": ["true"],
                                       "HostConfig": {"Memory": "lots"}})
        self.assertEqual(status, 400)
        self.assertIn("Memory", message(body))

    def test_unknown_fields_and_query_parameters_are_ignored(self):
        body = {"Image": S.busybox, "Cmd": ["true"], "NoSuchField": {"x": 1}}
        # dockerode repeats the create body in the query string.
        query = "?" + urllib.parse.urlencode({"Image": S.busybox, "Cmd": "true", "bogus": "1"})
        status, _, out = self.create(body, query)
        self.assertEqual(status, 201, out)
        cid = json.loads(out)["Id"]
        self.assertEqual(req("DELETE", f"/containers/{cid}")[0], 204)

    def test_gitlab_networking_config_and_bare_ports(self):
        body = {"Image": S.busybox, "Cmd": ["true"], "ExposedPorts": {"8080": {}},
                "HostConfig": {"NetworkMode": "", "PortBindings": {"9090": []}},
                "NetworkingConfig": {"EndpointsConfig": {"default": {"MacAddress": ""}}}}
        status, _, out = self.create(body)
        self.assertEqual(status, 201, out)
        cid = json.loads(out)["Id"]
        status, _, doc = req("GET", f"/containers/{cid}/json")
        self.assertIn("8080/tcp", json.loads(doc)["Config"]["ExposedPorts"])
        self.assertEqual(req("DELETE", f"/containers/{cid}")[0], 204)

    def test_huge_body(self):
        big = b'{"Image":"' + b"x" * (20 * 1024 * 1024) + b'"}'
        try:
            status, _, body = self.create(big)
            self.assertEqual(status, 413)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the daemon may close before reading it all; it must still serve others

    def test_bad_ids(self):
        for method, path in (("GET", "/containers/nope/json"), ("POST", "/containers/nope/start"),
                             ("DELETE", "/containers/nope"), ("GET", "/exec/nope/json"),
                             ("POST", "/containers/nope/attach?stream=1&stdout=1")):
            status, _, body = req(method, path)
            self.assertEqual(status, 404, path)
            self.assertIn("nope", message(body))

    def test_bad_filters(self):
        status, _, body = req("GET", "/containers/json?filters=" + urllib.parse.quote("{bad"))
        self.assertEqual(status, 400)
        status, _, body = req("GET", "/containers/json?filters=" +
                              urllib.parse.quote('{"nonsense":["1"]}'))
        self.assertEqual(status, 400)
        self.assertIn("nonsense", message(body))
        status, _, body = req("GET", "/containers/json?filters=" +
                              urllib.parse.quote('{"status":["sleeping"]}'))
        self.assertEqual(status, 400)

    def test_bad_name_and_conflict(self):
        status, _, body = self.create({"Image": S.busybox, "Cmd": ["true"]}, "?name=bad%20name")
        self.assertEqual(status, 400)
        self.assertIn("Invalid container name", message(body))
        status, _, out = self.create({"Image": S.busybox, "Cmd": ["true"]}, "?name=twice")
        self.assertEqual(status, 201)
        status, _, body = self.create({"Image": S.busybox, "Cmd": ["true"]}, "?name=twice")
        self.assertEqual(status, 409)
        self.assertIn("already in use", message(body))
        req("DELETE", "/containers/twice")

    def test_unknown_image(self):
        status, _, body = self.create({"Image": "never-pulled:1", "Cmd": ["true"]})
        self.assertEqual(status, 404)
        self.assertEqual(message(body), "No such image: never-pulled:1")

    def test_state_errors(self):
        status, _, out = self.create({"Image": S.busybox, "Cmd": ["sleep", "300"]})
        cid = json.loads(out)["Id"]
        status, _, body = req("POST", f"/containers/{cid}/kill")
        self.assertEqual(status, 409)
        self.assertIn("is not running", message(body))
        self.assertEqual(req("POST", f"/containers/{cid}/stop")[0], 304)
        self.assertEqual(req("POST", f"/containers/{cid}/start")[0], 204)
        self.assertEqual(req("POST", f"/containers/{cid}/start")[0], 304)
        status, _, body = req("DELETE", f"/containers/{cid}")
        self.assertEqual(status, 409)
        self.assertEqual(req("DELETE", f"/containers/{cid}?force=1")[0], 204)

    def test_bad_wait_condition_before_anything_else(self):
        status, _, body = req("POST", "/containers/nope/wait?condition=whenever")
        self.assertIn(status, (400, 404))

    def test_exec_errors_come_before_the_hijack(self):
        status, _, out = self.create({"Image": S.busybox, "Cmd": ["true"]})
        cid = json.loads(out)["Id"]
        status, _, body = req("POST", f"/containers/{cid}/exec", body={"Cmd": ["true"]})
        self.assertEqual(status, 409)
        req("DELETE", f"/containers/{cid}")

    def test_unsupported_endpoints_say_why(self):
        for method, path in (("POST", "/build"), ("POST", "/commit?container=x"),
                             ("GET", "/containers/x/export"), ("GET", "/swarm"),
                             ("GET", "/plugins"), ("POST", "/session"),
                             ("GET", "/distribution/busybox/json"),
                             ("PUT", "/containers/x/archive?path=/")):
            status, _, body = req(method, path)
            self.assertEqual(status, 501, path)
            self.assertIn("not supported", message(body))


class ListenerTest(unittest.TestCase):
    def test_tcp_on_loopback_and_refused_elsewhere_without_tls(self):
        d = harness.Daemon(S.root, name="tcp", extra_args=["-H", "tcp://127.0.0.1:0"]).start()
        try:
            tcp = [h for h in d.listeners() if h.startswith("tcp://")]
            self.assertEqual(len(tcp), 1, d.log())
            env = dict(S.env, DOCKER_HOST=tcp[0])
            r = harness.subprocess.run([harness.DOCKER, "version", "--format",
                                        "{{.Server.APIVersion}}"], capture_output=True,
                                       text=True, env=env, timeout=60)
            self.assertEqual(r.stdout.strip(), "1.44", r.stderr)
        finally:
            d.stop()
        bad = harness.Daemon(S.root, name="open", extra_args=["-H", "tcp://0.0.0.0:0"])
        with self.assertRaises(RuntimeError) as ctx:
            bad.start()
        self.assertIn("TLS", str(ctx.exception))
        bad.stop()


class HijackTest(unittest.TestCase):
    def raw(self, request):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(S.daemon.sock)
        s.sendall(request)
        return s

    def read_headers(self, s):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(1)
            if not chunk:
                break
            data += chunk
        return data.decode("latin-1")

    def test_upgrade_and_plain_forms(self):
        status, _, out = req("POST", "/containers/create",
                             body={"Image": S.busybox, "Cmd": ["sh", "-c", "cat; echo end"],
                                   "OpenStdin": True, "StdinOnce": True})
        cid = json.loads(out)["Id"]
        s = self.raw((f"POST /v1.44/containers/{cid}/attach?stream=1&stdin=1&stdout=1&stderr=1 "
                      "HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                      "Content-Length: 0\r\n\r\n").encode())
        head = self.read_headers(s)
        self.assertTrue(head.startswith("HTTP/1.1 101"), head)
        self.assertIn("application/vnd.docker.multiplexed-stream", head)
        self.assertEqual(req("POST", f"/containers/{cid}/start")[0], 204)
        s.sendall(b"hello\n")
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        # stdcopy frames: [1,0,0,0,len] + payload
        payload = b""
        while data:
            n = int.from_bytes(data[4:8], "big")
            self.assertEqual(data[0], 1)
            payload += data[8:8 + n]
            data = data[8 + n:]
        self.assertEqual(payload, b"hello\nend\n")
        status, _, body = req("POST", f"/containers/{cid}/wait")
        self.assertEqual(json.loads(body)["StatusCode"], 0)

        # Without Upgrade: a plain 200 and then the raw stream.
        s = self.raw((f"POST /containers/{cid}/attach?stream=1&stdout=1&logs=1 HTTP/1.1\r\n"
                      "Host: d\r\nContent-Length: 0\r\n\r\n").encode())
        head = self.read_headers(s)
        self.assertTrue(head.startswith("HTTP/1.1 200"), head)
        s.close()
        req("DELETE", f"/containers/{cid}?force=1")


if __name__ == "__main__":
    unittest.main(verbosity=2)
