#!/usr/bin/env python3
"""The registries registry_client_test resolves images from, all on 127.0.0.1.

Usage:
    fixture.py setup --dir D      starts everything, writes D/fixture.json, prints nothing
    fixture.py teardown --dir D   stops every process setup started, by its PID

What setup builds and starts (each process in its own session, its PID in D/pids.json):
  plain     docker-registry (tests/support/registry.py's config) holding
              busybox:latest             the project's busybox test image (OCI manifest)
              library/busybox:latest     the same, as a Docker Hub mirror serves it
              multi:latest               an OCI index: the host's platform and a second one
              v2s2/busybox:latest        busybox converted to Docker schema 2 by skopeo
              v2s2/multi:latest          the index converted to a Docker manifest list
  empty     docker-registry holding nothing (a mirror without the image)
  token     docker-registry in `auth: token` mode over plain's storage, and token_server.py
            (needs Python's cryptography; skipped otherwise)
  basic     docker-registry with htpasswd (bcrypt through Python's crypt module; skipped when
            it has no bcrypt) over plain's storage
  redirect  redirect_proxy.py in front of plain: 2 redirects per blob; redirect6: 6 redirects;
            redirect_auth: in front of basic, blobs redirected to plain (when basic runs)

D/fixture.json maps each name to HOST:PORT (absent when skipped, with the reason under
"skipped"), plus digests, the second platform, the users and the log files of the token service
and the proxies.
"""

import argparse
import hashlib
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "support"))
import registry  # noqa: E402  (tests/support/registry.py)

SERVICE = "sockerless-test-registry"
ISSUER = "sockerless-test-issuer"
USER = "alice"
PASSWORD = "wonder land"
REFRESH_TOKEN = "refresh-" + "0123456789abcdef"
START_TIMEOUT = 20.0
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OTHER_PLATFORM = {"x86_64": {"architecture": "arm64", "os": "linux", "variant": "v8"}}
DEFAULT_OTHER = {"architecture": "amd64", "os": "linux"}


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Pids:
    """PIDs of what setup started, persisted so teardown (another process) can stop them."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "pids.json")

    def load(self):
        try:
            with open(self.path) as f:
                return json.load(f)
        except FileNotFoundError:
            return []

    def add(self, pid, kind, marker):
        entries = self.load()
        entries.append({"pid": pid, "kind": kind, "marker": marker})
        with open(self.path + ".tmp", "w") as f:
            json.dump(entries, f)
        os.replace(self.path + ".tmp", self.path)


def spawn(pids, kind, marker, argv, log):
    with open(log, "ab") as out:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                   start_new_session=True)
    pids.add(process.pid, kind, marker)
    return process


def wait_for(predicate, process, what, log):
    deadline = time.monotonic() + START_TIMEOUT
    while not predicate():
        if process.poll() is not None:
            raise RuntimeError("%s exited with %d; see %s" % (what, process.returncode, log))
        if time.monotonic() > deadline:
            raise RuntimeError("%s did not start within %.0f s; see %s" % (what, START_TIMEOUT, log))
        time.sleep(0.05)


def start_registry(pids, directory, auth=None, storage=None):
    """docker-registry on 127.0.0.1 with registry.py's config plus `auth`; returns HOST:PORT."""
    os.makedirs(directory, exist_ok=True)
    storage = storage or os.path.join(directory, "storage")
    os.makedirs(storage, exist_ok=True)
    port = registry.free_port("127.0.0.1")
    config = registry.CONFIG.format(storage=storage, host="127.0.0.1", port=port,
                                    secret=secrets.token_hex(16))
    if auth:
        config += auth
    config_path = os.path.join(directory, "config.yml")
    with open(config_path, "w") as f:
        f.write(config)
    log = os.path.join(directory, "registry.log")
    process = spawn(pids, "registry", config_path, [registry.BINARY, "serve", config_path], log)
    url = "http://127.0.0.1:%d" % port
    wait_for(lambda: registry.answers(url), process, "docker-registry", log)
    return "127.0.0.1:%d" % port


def start_server(pids, script, directory, args):
    """One of this directory's Python servers; returns HOST:PORT once it listens."""
    os.makedirs(directory, exist_ok=True)
    port_file = os.path.join(directory, "port")
    log = os.path.join(directory, "server.log")
    path = os.path.join(HERE, script)
    process = spawn(pids, "python", path, [sys.executable, path, "--dir", directory] + args, log)
    wait_for(lambda: os.path.exists(port_file), process, script, log)
    with open(port_file) as f:
        return "127.0.0.1:%d" % int(f.read())


def skopeo(*args):
    result = subprocess.run(["skopeo", "--insecure-policy"] + list(args), capture_output=True,
                            text=True, timeout=180)
    if result.returncode != 0:
        raise RuntimeError("skopeo %s failed: %s" % (" ".join(args), result.stderr))


def push(layout, address, repository, *extra):
    skopeo("copy", "--quiet", "--dest-tls-verify=false", *extra, "oci:%s:latest" % layout,
           "docker://%s/%s:latest" % (address, repository))


def manifest_digest(address, repository):
    import urllib.request
    request = urllib.request.Request(
        "http://%s/v2/%s/manifests/latest" % (address, repository),
        headers={"Accept": ", ".join([OCI_MANIFEST, OCI_INDEX,
                                      "application/vnd.docker.distribution.manifest.v2+json",
                                      "application/vnd.docker.distribution.manifest.list.v2+json"])})
    with registry.DIRECT.open(request, timeout=30) as response:
        return sha256(response.read())


def write_blob(layout, data):
    digest = sha256(data)
    with open(os.path.join(layout, "blobs", "sha256", digest.split(":")[1]), "wb") as f:
        f.write(data)
    return {"digest": digest, "size": len(data)}


def read_blob(layout, digest):
    with open(os.path.join(layout, "blobs", "sha256", digest.split(":")[1]), "rb") as f:
        return f.read()


def make_index(busybox, out, other):
    """An OCI layout whose index lists busybox (the host's platform) and the same layer under
    `other`, with a config that says so (and a Cmd that tells the two apart)."""
    shutil.copytree(busybox, out)
    with open(os.path.join(busybox, "index.json")) as f:
        entry = json.load(f)["manifests"][0]
    host_manifest = json.loads(read_blob(busybox, entry["digest"]))
    config = json.loads(read_blob(busybox, host_manifest["config"]["digest"]))
    config.update(other)
    config["config"]["Cmd"] = ["echo", "other platform"]
    config_desc = write_blob(out, json.dumps(config, sort_keys=True).encode())
    other_manifest = dict(host_manifest, config=dict(host_manifest["config"], **config_desc))
    other_desc = write_blob(out, json.dumps(other_manifest, sort_keys=True).encode())
    host_entry = {k: entry[k] for k in ("mediaType", "digest", "size", "platform")}
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX,
             "manifests": [host_entry, dict(mediaType=OCI_MANIFEST, platform=other, **other_desc)]}
    index_desc = write_blob(out, json.dumps(index, sort_keys=True).encode())
    # The layout's own index.json names the pushed index by tag.
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": OCI_INDEX,
                   "manifests": [dict(mediaType=OCI_INDEX, annotations={
                       "org.opencontainers.image.ref.name": "latest"}, **index_desc)]}, f)
    return index_desc["digest"], other_desc["digest"], host_entry["digest"]


def htpasswd_line(user, password):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    if not hasattr(crypt, "METHOD_BLOWFISH") or crypt.METHOD_BLOWFISH not in crypt.methods:
        raise RuntimeError("the crypt module has no bcrypt")
    # The lowest cost bcrypt allows (2^4 rounds): the registry checks it on every request.
    salt = crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)
    return "%s:%s\n" % (user, crypt.crypt(password, salt))


def setup(directory):
    os.makedirs(directory, exist_ok=True)
    pids = Pids(directory)
    out = {"skipped": {}, "user": USER, "password": PASSWORD, "refresh_token": REFRESH_TOKEN}
    plain_dir = os.path.join(directory, "plain")
    plain = start_registry(pids, plain_dir)
    out["plain"] = plain
    out["empty"] = start_registry(pids, os.path.join(directory, "empty"))

    images = os.path.join(directory, "images")
    built = subprocess.run(["bash", os.path.join(REPO, "scripts", "build-test-images.sh"), images,
                            "--no-agent", "--push", plain], capture_output=True, text=True,
                           timeout=300)
    if built.returncode != 0:
        raise RuntimeError("build-test-images.sh failed: " + built.stderr)
    out["busybox_digest"] = dict(line.split() for line in built.stdout.splitlines())["busybox"]
    busybox = os.path.join(images, "busybox")
    push(busybox, plain, "library/busybox", "--preserve-digests")

    other = OTHER_PLATFORM.get(platform.machine(), DEFAULT_OTHER)
    index_digest, other_digest, host_digest = make_index(busybox, os.path.join(images, "multi"),
                                                         other)
    push(os.path.join(images, "multi"), plain, "multi", "--all", "--preserve-digests")
    out.update(multi_digest=index_digest, multi_other_digest=other_digest,
               multi_host_digest=host_digest,
               other_platform="/".join(filter(None, (other["os"], other["architecture"],
                                                     other.get("variant")))))
    push(busybox, plain, "v2s2/busybox", "--format", "v2s2")
    out["v2s2_digest"] = manifest_digest(plain, "v2s2/busybox")
    push(os.path.join(images, "multi"), plain, "v2s2/multi", "--all", "--format", "v2s2")
    out["v2s2_multi_digest"] = manifest_digest(plain, "v2s2/multi")

    storage = os.path.join(plain_dir, "storage")
    try:
        import cryptography  # noqa: F401
        token_dir = os.path.join(directory, "token-server")
        token_server = start_server(pids, "token_server.py", token_dir,
                                    ["--issuer", ISSUER, "--service", SERVICE,
                                     "--user", USER + ":" + PASSWORD,
                                     "--refresh-token", REFRESH_TOKEN, "--expires-in", "300"])
        auth = ("auth:\n  token:\n    realm: http://%s/token\n    service: %s\n"
                "    issuer: %s\n    rootcertbundle: %s\n" %
                (token_server, SERVICE, ISSUER, os.path.join(token_dir, "cert.pem")))
        out["token"] = start_registry(pids, os.path.join(directory, "token"), auth, storage)
        out["token_log"] = os.path.join(token_dir, "requests.log")
    except ImportError:
        out["skipped"]["token"] = "Python's cryptography is not installed (python3-cryptography)"

    try:
        htpasswd = os.path.join(directory, "htpasswd")
        with open(htpasswd, "w") as f:
            f.write(htpasswd_line(USER, PASSWORD))
        auth = "auth:\n  htpasswd:\n    realm: sockerless-test\n    path: %s\n" % htpasswd
        out["basic"] = start_registry(pids, os.path.join(directory, "basic"), auth, storage)
    except (ImportError, RuntimeError) as e:
        out["skipped"]["basic"] = "no bcrypt for htpasswd: %s" % e

    proxies = [("redirect", plain, 1), ("redirect6", plain, 5)]
    if "basic" in out:
        proxies.append(("redirect_auth", out["basic"], 1))
    for name, upstream, hops in proxies:
        proxy_dir = os.path.join(directory, name)
        out[name] = start_server(pids, "redirect_proxy.py", proxy_dir,
                                 ["--upstream", upstream, "--storage-upstream", plain,
                                  "--hops", str(hops)])
        out[name + "_log"] = os.path.join(proxy_dir, "requests.log")

    with open(os.path.join(directory, "fixture.json.tmp"), "w") as f:
        json.dump(out, f, indent=2)
    os.replace(os.path.join(directory, "fixture.json.tmp"),
               os.path.join(directory, "fixture.json"))


def stop_python(pid, script):
    """SIGTERM, then SIGKILL, for one of this directory's servers (checked by its command line)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            if os.fsencode(script) not in f.read().split(b"\0"):
                return
    except OSError:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + registry.STOP_TIMEOUT
        while time.monotonic() < deadline:
            if registry.process_gone(pid):
                return
            time.sleep(0.02)


def teardown(directory):
    pids = Pids(directory)
    for entry in reversed(pids.load()):
        if entry["kind"] == "registry":
            registry.stop_pid(entry["pid"], entry["marker"])
        else:
            stop_python(entry["pid"], entry["marker"])
    try:
        os.unlink(pids.path)
    except FileNotFoundError:
        pass


def main(argv):
    parser = argparse.ArgumentParser(description="Registries for registry_client_test.")
    parser.add_argument("command", choices=("setup", "teardown"))
    parser.add_argument("--dir", required=True)
    args = parser.parse_args(argv)
    if args.command == "setup":
        try:
            setup(args.dir)
        except BaseException:
            teardown(args.dir)
            raise
    else:
        teardown(args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
