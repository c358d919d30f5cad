#!/usr/bin/env python3
"""Writes a single-layer OCI image layout from a root filesystem directory, reproducibly.

Usage:
  oci_layout.py --rootfs DIR --out LAYOUT [--tag latest] [--env K=V]... [--cmd JSON]
                [--entrypoint JSON] [--workdir DIR] [--owner PATH=UID:GID]... [--created-by TEXT]

The layer is a tar of DIR with entries in sorted order, every mtime set to SOURCE_DATE_EPOCH
(default 2024-01-01T00:00:00Z), owner 0:0 unless --owner names the path, no user or group names,
and hard links kept as links; it is gzipped with mtime 0 and no file name. The config's
architecture and os are the host's, in Go's spelling, as registries and runtimes expect. The same
DIR therefore always gives the same layer, config and manifest digests.

LAYOUT gets oci-layout, index.json (one manifest, annotated with
org.opencontainers.image.ref.name=TAG) and blobs/sha256/. An existing LAYOUT is replaced only if it
is an OCI layout or empty. Prints the manifest digest.
"""

import argparse
import datetime
import gzip
import hashlib
import io
import json
import os
import platform
import shutil
import stat
import sys
import tarfile

DEFAULT_EPOCH = 1704067200
MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"

# uname -m to GOARCH (and GOARM variant), the spelling of OCI configs and manifests.
ARCHITECTURES = {
    "x86_64": ("amd64", None),
    "amd64": ("amd64", None),
    "aarch64": ("arm64", None),
    "arm64": ("arm64", None),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "i386": ("386", None),
    "i686": ("386", None),
    "ppc64le": ("ppc64le", None),
    "s390x": ("s390x", None),
    "riscv64": ("riscv64", None),
}


def host_platform():
    machine = platform.machine()
    if machine not in ARCHITECTURES:
        raise SystemExit("oci_layout: unknown host architecture %r" % machine)
    architecture, variant = ARCHITECTURES[machine]
    result = {"architecture": architecture, "os": "linux"}
    if variant:
        result["variant"] = variant
    return result


def source_epoch():
    value = os.environ.get("SOURCE_DATE_EPOCH")
    return int(value) if value else DEFAULT_EPOCH


def rfc3339(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def parse_owner(text):
    path, _, ids = text.partition("=")
    uid, _, gid = ids.partition(":")
    if not path or not uid.isdigit() or not gid.isdigit():
        raise argparse.ArgumentTypeError("expected PATH=UID:GID, got %r" % text)
    return path.strip("/"), (int(uid), int(gid))


def entries(root):
    """Relative paths under root in depth-first byte order: a directory, then its contents."""
    result = []

    def visit(rel):
        full = os.path.join(root, rel) if rel else root
        for name in sorted(os.listdir(full), key=os.fsencode):
            child = os.path.join(rel, name) if rel else name
            result.append(child)
            child_full = os.path.join(root, child)
            if os.path.isdir(child_full) and not os.path.islink(child_full):
                visit(child)

    visit("")
    return result


def layer_tar(root, epoch, owners):
    """The uncompressed layer: bytes of a PAX tar of root."""
    buffer = io.BytesIO()
    seen = {}
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in entries(root):
            full = os.path.join(root, rel)
            st = os.lstat(full)
            info = tarfile.TarInfo(rel)
            info.mode = stat.S_IMODE(st.st_mode)
            info.mtime = epoch
            info.uid, info.gid = owners.get(rel, (0, 0))
            info.uname = info.gname = ""
            data = None
            if stat.S_ISDIR(st.st_mode):
                info.type = tarfile.DIRTYPE
            elif stat.S_ISLNK(st.st_mode):
                info.type = tarfile.SYMTYPE
                info.linkname = os.readlink(full)
            elif stat.S_ISREG(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if st.st_nlink > 1 and key in seen:
                    info.type = tarfile.LNKTYPE
                    info.linkname = seen[key]
                else:
                    seen[key] = rel
                    info.type = tarfile.REGTYPE
                    info.size = st.st_size
                    data = full
            else:
                raise SystemExit("oci_layout: %s: only directories, files and symlinks" % full)
            if data is None:
                tar.addfile(info)
            else:
                with open(data, "rb") as f:
                    tar.addfile(info, f)
    return buffer.getvalue()


def gzip_bytes(data):
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buffer, mtime=0) as gz:
        gz.write(data)
    return buffer.getvalue()


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_blob(layout, data):
    digest = sha256(data)
    path = os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1])
    with open(path, "wb") as f:
        f.write(data)
    return {"digest": digest, "size": len(data)}


def prepare_layout_dir(layout):
    if os.path.isdir(layout) and os.listdir(layout):
        if not os.path.exists(os.path.join(layout, "oci-layout")):
            raise SystemExit("oci_layout: %s exists and is not an OCI layout" % layout)
        shutil.rmtree(layout)
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)


def build(args):
    epoch = source_epoch()
    created = rfc3339(epoch)
    owners = dict(args.owner)
    for path in owners:
        if not os.path.lexists(os.path.join(args.rootfs, path)):
            raise SystemExit("oci_layout: --owner %s: no such path in the rootfs" % path)
    diff = layer_tar(args.rootfs, epoch, owners)
    layer = gzip_bytes(diff)

    config_section = {}
    if args.env:
        config_section["Env"] = args.env
    if args.entrypoint is not None:
        config_section["Entrypoint"] = args.entrypoint
    if args.cmd is not None:
        config_section["Cmd"] = args.cmd
    if args.workdir:
        config_section["WorkingDir"] = args.workdir
    target = host_platform()
    config = dict(target)
    config.update({
        "created": created,
        "config": config_section,
        "rootfs": {"type": "layers", "diff_ids": [sha256(diff)]},
        "history": [{"created": created, "created_by": args.created_by}],
    })

    prepare_layout_dir(args.out)
    config_desc = write_blob(args.out, canonical_json(config))
    layer_desc = write_blob(args.out, layer)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": dict(mediaType=MEDIA_CONFIG, **config_desc),
        "layers": [dict(mediaType=MEDIA_LAYER, **layer_desc)],
    }
    manifest_desc = write_blob(args.out, canonical_json(manifest))
    index = {
        "schemaVersion": 2,
        "mediaType": MEDIA_INDEX,
        "manifests": [
            dict(mediaType=MEDIA_MANIFEST, platform=target, annotations={REF_NAME: args.tag},
                 **manifest_desc)
        ],
    }
    with open(os.path.join(args.out, "index.json"), "wb") as f:
        f.write(canonical_json(index))
    with open(os.path.join(args.out, "oci-layout"), "wb") as f:
        f.write(canonical_json({"imageLayoutVersion": "1.0.0"}))
    return manifest_desc["digest"]


def json_list(text):
    value = json.loads(text)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise argparse.ArgumentTypeError("expected a JSON list of strings, got %r" % text)
    return value


def main(argv):
    parser = argparse.ArgumentParser(description="Write a reproducible single-layer OCI layout.")
    parser.add_argument("--rootfs", required=True, help="directory that becomes the layer")
    parser.add_argument("--out", required=True, help="OCI layout directory to write")
    parser.add_argument("--tag", default="latest")
    parser.add_argument("--env", action="append", default=[], help="K=V, repeatable")
    parser.add_argument("--cmd", type=json_list, help='JSON list, e.g. ["sh"]')
    parser.add_argument("--entrypoint", type=json_list, help="JSON list")
    parser.add_argument("--workdir")
    parser.add_argument("--owner", action="append", type=parse_owner, default=[],
                        help="PATH=UID:GID for one entry of the layer, repeatable")
    parser.add_argument("--created-by", default="scripts/oci_layout.py")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.rootfs):
        parser.error("--rootfs %s is not a directory" % args.rootfs)
    print(build(args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
