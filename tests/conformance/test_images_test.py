#!/usr/bin/env python3
"""The test images and the local registry harness, checked through the registry's HTTP API.

Usage: test_images_test.py PATH/TO/sockerless-agent

Builds the busybox and agent images with scripts/build-test-images.sh into a temp dir, starts a
docker-registry with tests/support/registry.py, pushes them with skopeo, and checks what a client
pulling them gets: manifests (OCI and Docker Accept headers), configs (Env PATH, Cmd, Entrypoint,
platform), layer contents (users, groups, directories, modes, the agent), digests that match the
blobs and that a second build reproduces. As root, the busybox layer is also unpacked and run with
chroot. Stops every registry it started by its PID.
"""

import gzip
import hashlib
import io
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest
import urllib.error
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "support"))
import registry  # noqa: E402  (tests/support, added to the path above)

AGENT_BINARY = None
BUILD_SCRIPT = os.path.join(REPO, "scripts", "build-test-images.sh")
REGISTRY_CLI = os.path.join(REPO, "tests", "support", "registry.py")
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
ACCEPT = ", ".join([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST])
HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "ppc64le": "ppc64le", "s390x": "s390x",
             "riscv64": "riscv64", "i686": "386", "armv7l": "arm"}

# What the official busybox image has (buildroot's skeleton), which client test suites rely on.
PASSWD = [
    "root:x:0:0:root:/root:/bin/sh",
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false",
    "bin:x:2:2:bin:/bin:/bin/false",
    "sys:x:3:3:sys:/dev:/bin/false",
    "sync:x:4:100:sync:/bin:/bin/sync",
    "mail:x:8:8:mail:/var/spool/mail:/bin/false",
    "www-data:x:33:33:www-data:/var/www:/bin/false",
    "operator:x:37:37:Operator:/var:/bin/false",
    "nobody:x:65534:65534:nobody:/home:/bin/false",
]
GROUPS = ["root:x:0:", "daemon:x:1:", "bin:x:2:", "sys:x:3:", "adm:x:4:", "tty:x:5:", "disk:x:6:",
          "wheel:x:10:root", "www-data:x:33:", "operator:x:37:", "staff:x:50:", "users:x:100:",
          "nogroup:x:65534:"]
DIRECTORIES = ["bin", "dev", "etc", "home", "lib", "proc", "root", "sys", "tmp", "usr", "usr/bin",
               "usr/sbin", "var", "var/spool/mail", "var/www"]


def unique_loopback():
    """An address in 127.0.0.0/8 that other tests on the machine are unlikely to use."""
    rng = random.Random(os.getpid())
    return "127.%d.%d.%d" % (rng.randint(1, 254), rng.randint(0, 255), rng.randint(1, 254))


def agent_is_static(path):
    out = subprocess.run(["file", "-L", path], capture_output=True, text=True, check=True)
    return "statically linked" in out.stdout


def build_images(out_dir, with_agent, push=None):
    """Runs the build script; returns {repository: manifest digest}."""
    command = ["bash", BUILD_SCRIPT, out_dir]
    command += ["--agent", AGENT_BINARY] if with_agent else ["--no-agent"]
    if push:
        command += ["--push", push]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise AssertionError("build-test-images.sh failed:\n" + result.stderr)
    return dict(line.split() for line in result.stdout.splitlines())


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class ImagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("skopeo", registry.BINARY, "file"):
            if shutil.which(tool) is None:
                raise RuntimeError("%s is not installed (scripts/install-deps.sh)" % tool)
        cls.with_agent = agent_is_static(AGENT_BINARY)
        cls.tmp = tempfile.mkdtemp(prefix="test-images-")
        cls.registry = registry.LocalRegistry(os.path.join(cls.tmp, "registry"),
                                              host=unique_loopback())
        cls.registry.start()
        try:
            cls.digests = build_images(os.path.join(cls.tmp, "out"), cls.with_agent,
                                      push=cls.registry.address)
        except BaseException:
            cls.registry.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def get(self, path, accept=None):
        request = urllib.request.Request(self.registry.url + path)
        if accept:
            request.add_header("Accept", accept)
        with registry.DIRECT.open(request, timeout=30) as response:
            return response.read(), response.headers

    def manifest(self, repository, accept=ACCEPT):
        body, headers = self.get("/v2/%s/manifests/latest" % repository, accept)
        self.assertEqual(headers["Docker-Content-Digest"], sha256(body))
        return json.loads(body), headers

    def blob(self, repository, descriptor):
        body, _ = self.get("/v2/%s/blobs/%s" % (repository, descriptor["digest"]))
        self.assertEqual(sha256(body), descriptor["digest"])
        self.assertEqual(len(body), descriptor["size"])
        return body

    def image(self, repository):
        """(manifest, config, layer tar) of repository:latest as a client pulls it."""
        manifest, _ = self.manifest(repository)
        config = json.loads(self.blob(repository, manifest["config"]))
        self.assertEqual(len(manifest["layers"]), 1)
        compressed = self.blob(repository, manifest["layers"][0])
        layer = gzip.decompress(compressed)
        self.assertEqual(config["rootfs"], {"type": "layers", "diff_ids": [sha256(layer)]})
        return manifest, config, tarfile.open(fileobj=io.BytesIO(layer))

    def require_agent(self):
        if not self.with_agent:
            self.skipTest("%s is not statically linked (as in the sanitizer build)" % AGENT_BINARY)

    # ---- the busybox image

    def test_busybox_manifest_answers_oci_and_docker_accept_headers(self):
        manifest, headers = self.manifest("busybox")
        self.assertEqual(headers["Content-Type"], OCI_MANIFEST)
        self.assertEqual(manifest["mediaType"], OCI_MANIFEST)
        self.assertEqual(manifest["schemaVersion"], 2)
        self.assertEqual(headers["Docker-Content-Digest"], self.digests["busybox"])
        self.assertEqual(manifest["layers"][0]["mediaType"],
                         "application/vnd.oci.image.layer.v1.tar+gzip")
        _, head = self.get("/v2/busybox/manifests/" + self.digests["busybox"], OCI_MANIFEST)
        self.assertEqual(head["Docker-Content-Digest"], self.digests["busybox"])

    def test_busybox_config_has_path_cmd_and_host_platform(self):
        _, config, _ = self.image("busybox")
        self.assertEqual(config["config"]["Env"], [PATH_ENV])
        self.assertEqual(config["config"]["Cmd"], ["sh"])
        self.assertNotIn("Entrypoint", config["config"])
        self.assertEqual(config["os"], "linux")
        self.assertEqual(config["architecture"], HOST_ARCH[platform.machine()])

    def test_busybox_layer_has_the_official_users_and_groups(self):
        _, _, tar = self.image("busybox")
        passwd = tar.extractfile("etc/passwd").read().decode().splitlines()
        self.assertEqual(passwd, PASSWD)
        group = tar.extractfile("etc/group").read().decode().splitlines()
        for line in GROUPS:
            self.assertIn(line, group)
        for name in ("lp", "mail", "kmem", "cdrom", "dialout", "floppy", "video", "audio", "tape",
                     "utmp", "plugdev", "lock", "netdev"):
            self.assertTrue(any(g.startswith(name + ":x:") for g in group), name)
        shadow = tar.getmember("etc/shadow")
        self.assertEqual(shadow.mode, 0o600)
        self.assertTrue(tar.extractfile(shadow).read().startswith(b"root:*:"))
        os_release = tar.extractfile("etc/os-release").read().decode()
        self.assertIn("ID=busybox\n", os_release)

    def test_busybox_layer_has_shell_directories_and_modes(self):
        _, _, tar = self.image("busybox")
        members = {m.name.rstrip("/"): m for m in tar.getmembers()}
        busybox = members["bin/busybox"]
        self.assertTrue(busybox.isreg())
        self.assertEqual(busybox.mode, 0o755)
        self.assertGreater(busybox.size, 100000)
        for applet in ("sh", "id", "ls", "cat", "sleep", "top", "wget", "nc"):
            self.assertTrue(members["bin/" + applet].issym(), applet)
            self.assertEqual(members["bin/" + applet].linkname, "/bin/busybox")
        self.assertEqual(members["usr/bin/env"].linkname, "../../bin/env")
        for directory in DIRECTORIES:
            self.assertTrue(members[directory].isdir(), directory)
        self.assertEqual(members["tmp"].mode, 0o1777)
        self.assertEqual(members["root"].mode, 0o700)
        self.assertEqual((members["home"].uid, members["home"].gid), (65534, 65534))
        self.assertEqual((members["var/www"].uid, members["var/www"].gid), (33, 33))
        self.assertEqual((members["etc/passwd"].uid, members["etc/passwd"].gid), (0, 0))
        self.assertEqual({m.mtime for m in members.values()}, {members["bin"].mtime})
        names = [m.name for m in tar.getmembers()]
        self.assertEqual(len(names), len(set(names)))

    @unittest.skipUnless(os.geteuid() == 0, "chroot needs root")
    def test_busybox_rootfs_runs_under_chroot(self):
        _, _, tar = self.image("busybox")
        rootfs = os.path.join(self.tmp, "unpacked")
        os.makedirs(rootfs)
        tar.extractall(rootfs, numeric_owner=True)
        out = subprocess.run(
            ["chroot", rootfs, "/bin/busybox", "sh", "-c",
             "id -un nobody; id -gn nobody; id -u operator; stat -c %a /tmp; "
             "grep ^staff: /etc/group; /usr/bin/env true && echo env-ok"],
            env={"PATH": PATH_ENV.split("=", 1)[1]}, capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.splitlines(),
                         ["nobody", "nogroup", "37", "1777", "staff:x:50:", "env-ok"])

    # ---- the agent image

    def test_agent_image_is_the_static_agent_as_entrypoint(self):
        self.require_agent()
        manifest, headers = self.manifest("sockerless-agent")
        self.assertEqual(headers["Docker-Content-Digest"], self.digests["sockerless-agent"])
        _, config, tar = self.image("sockerless-agent")
        self.assertEqual(config["config"]["Entrypoint"], ["/sockerless-agent"])
        self.assertNotIn("Cmd", config["config"])
        self.assertEqual(config["os"], "linux")
        self.assertEqual(config["architecture"], HOST_ARCH[platform.machine()])
        members = tar.getmembers()
        self.assertEqual([m.name for m in members], ["sockerless-agent"])
        agent = members[0]
        self.assertTrue(agent.isreg())
        self.assertEqual(agent.mode, 0o755)
        self.assertEqual((agent.uid, agent.gid), (0, 0))
        with open(AGENT_BINARY, "rb") as f:
            self.assertEqual(tar.extractfile(agent).read(), f.read())

    # ---- reproducibility

    def test_second_build_gives_the_same_digests(self):
        again = build_images(os.path.join(self.tmp, "again"), self.with_agent)
        self.assertEqual(again, self.digests)
        expected = {"busybox"} | ({"sockerless-agent"} if self.with_agent else set())
        self.assertEqual(set(again), expected)
        first = os.path.join(self.tmp, "out", "busybox", "blobs", "sha256")
        second = os.path.join(self.tmp, "again", "busybox", "blobs", "sha256")
        self.assertEqual(sorted(os.listdir(first)), sorted(os.listdir(second)))

    def test_layout_index_names_the_tag(self):
        with open(os.path.join(self.tmp, "out", "busybox", "index.json")) as f:
            index = json.load(f)
        with open(os.path.join(self.tmp, "out", "busybox", "oci-layout")) as f:
            self.assertEqual(json.load(f), {"imageLayoutVersion": "1.0.0"})
        [entry] = index["manifests"]
        self.assertEqual(entry["annotations"]["org.opencontainers.image.ref.name"], "latest")
        self.assertEqual(entry["digest"], self.digests["busybox"])


class RegistryCliTest(unittest.TestCase):
    """tests/support/registry.py as shell and C++ tests use it."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="registry-cli-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def run_cli(self, *args):
        return subprocess.run([sys.executable, REGISTRY_CLI] + list(args), capture_output=True,
                              text=True, timeout=60)

    def test_start_prints_address_and_pid_file_and_stop_ends_it(self):
        host = unique_loopback()
        started = self.run_cli("start", "--dir", self.dir, "--host", host)
        self.assertEqual(started.returncode, 0, started.stderr)
        address, pid_file = started.stdout.splitlines()
        self.addCleanup(self.run_cli, "stop", "--dir", self.dir)
        self.assertTrue(address.startswith(host + ":"))
        self.assertEqual(pid_file, os.path.join(self.dir, "registry.pid"))
        with open(pid_file) as f:
            pid = int(f.read())
        self.assertFalse(registry.process_gone(pid))
        with registry.DIRECT.open("http://%s/v2/" % address, timeout=10) as response:
            self.assertEqual(response.status, 200)
            self.assertEqual(response.headers["Docker-Distribution-Api-Version"], "registry/2.0")

        stopped = self.run_cli("stop", "--dir", self.dir)
        self.assertEqual(stopped.returncode, 0, stopped.stderr)
        self.assertTrue(registry.process_gone(pid))
        self.assertFalse(os.path.exists(pid_file))
        with self.assertRaises(urllib.error.URLError):
            registry.DIRECT.open("http://%s/v2/" % address, timeout=5)

    def test_fixed_port_and_deletes_enabled(self):
        port = registry.free_port("127.0.0.1")
        with registry.LocalRegistry(self.dir, port=port) as reg:
            self.assertEqual(reg.address, "127.0.0.1:%d" % port)
            with open(reg.config_path) as f:
                config = f.read()
            self.assertIn("delete:\n    enabled: true", config)
            self.assertIn("rootdirectory: " + os.path.join(self.dir, "storage"), config)
            self.assertTrue(registry.answers(reg.url))
            blob = b"sockerless registry delete check"
            digest = sha256(blob)
            start = urllib.request.Request(reg.url + "/v2/check/blobs/uploads/", method="POST")
            with registry.DIRECT.open(start, timeout=10) as response:
                self.assertEqual(response.status, 202)
                location = response.headers["Location"]
            separator = "&" if "?" in location else "?"
            upload = urllib.request.Request(
                urllib.parse.urljoin(reg.url, location) + separator + "digest=" + digest,
                data=blob, method="PUT", headers={"Content-Type": "application/octet-stream"})
            with registry.DIRECT.open(upload, timeout=10) as response:
                self.assertEqual(response.status, 201)
            delete = urllib.request.Request("%s/v2/check/blobs/%s" % (reg.url, digest),
                                            method="DELETE")
            with registry.DIRECT.open(delete, timeout=10) as response:
                self.assertEqual(response.status, 202)
            pid = reg.pid
        self.assertTrue(registry.process_gone(pid))

    def test_stop_without_start_fails_cleanly(self):
        stopped = self.run_cli("stop", "--dir", self.dir)
        self.assertEqual(stopped.returncode, 1)
        self.assertIn("registry.pid", stopped.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: test_images_test.py PATH/TO/sockerless-agent")
    AGENT_BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
