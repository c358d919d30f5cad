#!/usr/bin/env python3
"""Real images for simulated tasks: registry pull (ImageStore) and OCI bundles run under runc.

Usage: awssim_oci_test.py PATH/TO/awssim-oci-tool PATH/TO/sockerless-awssim

Builds the busybox test image (scripts/build-test-images.sh), pushes it to a local docker-registry
(tests/support/registry.py) and pulls it with the simulator's ImageStore through awssim-oci-tool:
by tag, through a multi-platform index whose first entry is another architecture, through a
registry that demands an anonymous bearer token, and by digest from the cache with the registry
gone. As root with runc, the pulled image runs as a container with an EFS access point's
directory (created and staged through the simulator's EFS API) bind-mounted read-only, and the
test checks the output and that neither the EFS directory nor the cached image can be written.
Skips, saying why, without skopeo or docker-registry; the runc part skips without root or runc.
"""

import hashlib
import http.server
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.error
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "support"))
sys.path.insert(0, os.path.join(REPO, "tests", "conformance"))
import registry  # noqa: E402

TOOL = None
SIM_BINARY = None
MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}


def host_arch():
    return GO_ARCH.get(platform.machine(), platform.machine())


def http_request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, dict(res.headers), res.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class TokenProxy:
    """A registry front that demands an anonymous bearer token, as Docker Hub does, and forwards
    authorized GETs to the real registry."""

    TOKEN = "anonymous-token-for-tests"

    def __init__(self, upstream):
        self.upstream = upstream
        self.token_requests = []
        self.unauthorized = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/token":
                    proxy.token_requests.append(urllib.parse.parse_qs(url.query))
                    self.reply(200, {"Content-Type": "application/json"},
                               json.dumps({"token": proxy.TOKEN}).encode())
                    return
                if self.headers.get("Authorization") != "Bearer " + proxy.TOKEN:
                    proxy.unauthorized += 1
                    challenge = ('Bearer realm="http://%s/token",service="test-registry",'
                                 'scope="repository:busybox:pull"' % proxy.address)
                    self.reply(401, {"WWW-Authenticate": challenge}, b"{}")
                    return
                headers = {"Accept": self.headers.get("Accept", "*/*")}
                status, upstream_headers, body = http_request("GET", proxy.upstream + self.path,
                                                              headers=headers)
                keep = {k: v for k, v in upstream_headers.items()
                        if k.lower() in ("content-type", "docker-content-digest")}
                self.reply(status, keep, body)

            def reply(self, status, headers, body):
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = "127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


class ImageFixture(unittest.TestCase):
    """The busybox image in a local registry, and pulls through awssim-oci-tool."""

    @classmethod
    def setUpClass(cls):
        missing = [tool for tool in ("skopeo", registry.BINARY) if not shutil.which(tool)]
        if missing:
            raise unittest.SkipTest("needs %s (apt-get install skopeo docker-registry)" %
                                    " and ".join(missing))
        cls.tmp = tempfile.mkdtemp(prefix="awssim-oci-test-")
        cls.registry = registry.LocalRegistry(os.path.join(cls.tmp, "registry")).start()
        try:
            out = subprocess.run(
                ["bash", os.path.join(REPO, "scripts", "build-test-images.sh"),
                 os.path.join(cls.tmp, "images"), "--no-agent", "--push", cls.registry.address],
                capture_output=True, text=True, timeout=240)
            if out.returncode != 0:
                raise RuntimeError("build-test-images.sh failed: " + out.stderr)
            cls.busybox_digest = dict(line.split() for line in out.stdout.splitlines())["busybox"]
        except Exception:
            cls.registry.stop()
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def pull(self, reference, cache):
        out = subprocess.run([TOOL, "pull", "--cache", cache, reference], capture_output=True,
                             text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    def pull_fails(self, reference, cache):
        out = subprocess.run([TOOL, "pull", "--cache", cache, reference], capture_output=True,
                             text=True, timeout=120)
        self.assertNotEqual(out.returncode, 0, out.stdout)
        return out.stderr

    def cache(self, name):
        return os.path.join(self.tmp, "cache-" + name)


class OciTest(ImageFixture):
    def test_pull_by_tag_then_by_digest_from_the_cache(self):
        cache = self.cache("tag")
        image = self.pull(self.registry.address + "/busybox:latest", cache)
        self.assertEqual(image["digest"], self.busybox_digest)
        rootfs = image["rootfs_dir"]
        self.assertTrue(rootfs.startswith(cache))
        self.assertTrue(os.path.isfile(os.path.join(rootfs, "bin", "busybox")))
        self.assertEqual(os.readlink(os.path.join(rootfs, "bin", "sh")), "/bin/busybox")
        with open(os.path.join(rootfs, "etc", "passwd")) as f:
            self.assertIn("nobody:x:65534:65534", f.read())
        self.assertEqual(image["config"]["Cmd"], ["sh"])
        self.assertTrue(any(e.startswith("PATH=") for e in image["config"]["Env"]))
        again = self.pull(self.registry.address + "/busybox:latest", cache)
        self.assertEqual(again["rootfs_dir"], rootfs)
        self.assertEqual(os.listdir(os.path.join(cache, "tmp")), [])

        # By digest, the cache answers without the registry.
        gone = "127.0.0.1:9/busybox@" + self.busybox_digest
        stderr = self.pull_fails(gone, self.cache("empty"))
        self.assertIn("CannotPullContainerError", stderr)
        shutil.copytree(cache, self.cache("offline"), symlinks=True)
        offline = self.pull(gone, self.cache("offline"))
        self.assertEqual(offline["digest"], self.busybox_digest)
        self.assertTrue(os.path.isfile(os.path.join(offline["rootfs_dir"], "bin", "busybox")))

    def test_multi_platform_index(self):
        base = "http://" + self.registry.address + "/v2/busybox/manifests/"
        status, headers, manifest = http_request("GET", base + self.busybox_digest,
                                                 headers={"Accept": MEDIA_MANIFEST})
        self.assertEqual(status, 200)
        # Another architecture's manifest, listed first, must not be chosen.
        other = json.loads(manifest)
        other.setdefault("annotations", {})["test"] = "other-architecture"
        other_body = json.dumps(other).encode()
        other_digest = "sha256:" + hashlib.sha256(other_body).hexdigest()
        status, _, body = http_request("PUT", base + other_digest, data=other_body,
                                       headers={"Content-Type": MEDIA_MANIFEST})
        self.assertEqual(status, 201, body)
        foreign = "arm64" if host_arch() != "arm64" else "amd64"
        index = {"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": [
            {"mediaType": MEDIA_MANIFEST, "digest": other_digest, "size": len(other_body),
             "platform": {"os": "linux", "architecture": foreign}},
            {"mediaType": MEDIA_MANIFEST, "digest": self.busybox_digest, "size": len(manifest),
             "platform": {"os": "linux", "architecture": host_arch()}}]}
        index_body = json.dumps(index).encode()
        status, _, body = http_request("PUT", base + "multi", data=index_body,
                                       headers={"Content-Type": MEDIA_INDEX})
        self.assertEqual(status, 201, body)

        cache = self.cache("multi")
        single = self.pull(self.registry.address + "/busybox:latest", cache)
        multi = self.pull(self.registry.address + "/busybox:multi", cache)
        self.assertEqual(multi["digest"], "sha256:" + hashlib.sha256(index_body).hexdigest())
        self.assertEqual(multi["rootfs_dir"], single["rootfs_dir"])  # cached by manifest digest

    def test_bearer_token_auth(self):
        with TokenProxy("http://" + self.registry.address) as proxy:
            image = self.pull(proxy.address + "/busybox:latest", self.cache("token"))
            self.assertTrue(os.path.isfile(os.path.join(image["rootfs_dir"], "bin", "busybox")))
            self.assertGreaterEqual(proxy.unauthorized, 1)
            self.assertEqual(len(proxy.token_requests), 1)
            self.assertEqual(proxy.token_requests[0],
                             {"service": ["test-registry"], "scope": ["repository:busybox:pull"]})

    def test_missing_image(self):
        stderr = self.pull_fails(self.registry.address + "/busybox:no-such-tag",
                                 self.cache("missing"))
        self.assertIn("CannotPullContainerError", stderr)
        self.assertIn("not found", stderr)


class RuncTest(ImageFixture):
    """The pulled image run under runc with an EFS directory mounted read-only."""

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("running containers under runc needs root")
        if not shutil.which("runc"):
            raise unittest.SkipTest("runc not found (apt-get install runc)")
        super().setUpClass()

    def efs_directory(self):
        """An access point's directory, made and staged through the simulator's EFS API."""
        import awssim_harness
        sim = awssim_harness.AwsSim(SIM_BINARY).start()
        self.addCleanup(sim.stop)
        efs = sim.client("efs")
        fs_id = efs.create_file_system(CreationToken="runc-test")["FileSystemId"]
        efs.create_access_point(FileSystemId=fs_id, RootDirectory={
            "Path": "/shared", "CreationInfo": {"OwnerUid": 0, "OwnerGid": 0,
                                                "Permissions": "755"}})
        status, _, body = http_request("PUT", "%s/_awssim/efs/%s/shared/hello?mode=0644" %
                                       (sim.url, fs_id), data=b"hello from efs\n")
        self.assertEqual(status, 200, body)
        return os.path.join(sim.state_dir, "efs", fs_id, "shared")

    def test_runs_with_read_only_efs_mount(self):
        image = self.pull(self.registry.address + "/busybox:latest", self.cache("runc"))
        efs_dir = self.efs_directory()
        bundle = os.path.join(self.tmp, "bundle")
        script = ("id -un; cat /mnt/efs/hello; "
                  "if echo x > /mnt/efs/written 2>/dev/null; then echo WRITABLE; "
                  "else echo READ-ONLY; fi; "
                  "echo scratch > /tmp/scratch && echo ROOTFS-WRITABLE")
        out = subprocess.run([TOOL, "bundle", "--bundle", bundle, "--rootfs",
                              image["rootfs_dir"], "--overlay", "--hostname", "task",
                              "--mount", efs_dir + ":/mnt/efs:ro", "--",
                              "sh", "-c", script], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.addCleanup(subprocess.run, [TOOL, "unmount", "--bundle", bundle], timeout=60)
        state = os.path.join(self.tmp, "runc-state")
        container = "awssim-oci-test-%d" % os.getpid()
        self.addCleanup(subprocess.run, ["runc", "--root", state, "delete", "--force", container],
                        capture_output=True, timeout=60)
        run = subprocess.run(["runc", "--root", state, "run", "--bundle", bundle, container],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout.splitlines(),
                         ["root", "hello from efs", "READ-ONLY", "ROOTFS-WRITABLE"])
        self.assertFalse(os.path.exists(os.path.join(efs_dir, "written")))
        # The container wrote into its overlay, never into the shared cached image.
        self.assertFalse(os.path.exists(os.path.join(image["rootfs_dir"], "tmp", "scratch")))
        self.assertTrue(os.path.exists(os.path.join(bundle, "upper", "tmp", "scratch")))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: awssim_oci_test.py PATH/TO/awssim-oci-tool PATH/TO/sockerless-awssim")
    SIM_BINARY = os.path.abspath(sys.argv.pop(2))
    TOOL = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
