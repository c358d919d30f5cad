#!/usr/bin/env bash
# Builds the test images without Docker or Docker Hub, as OCI image layouts, and optionally pushes
# them to a registry (a local docker-registry: see tests/support/registry.py).
#
# Usage: build-test-images.sh OUT_DIR [--agent PATH | --no-agent] [--push HOST:PORT]
#
#   OUT_DIR/busybox  tag latest: Debian's busybox-static laid out like the official busybox image
#                    (scripts/make-busybox-rootfs.sh); Env PATH, Cmd ["sh"]; pushed as busybox.
#   OUT_DIR/agent    tag latest: scratch + the static agent at /sockerless-agent, its Entrypoint;
#                    pushed as sockerless-agent. --agent defaults to the agent of build/ci or
#                    build/dev; --no-agent skips this image.
#
# The layouts are reproducible (scripts/oci_layout.py): the same inputs give the same digests, and
# the push keeps them (--preserve-digests). Prints one line per image: NAME DIGEST.
set -euo pipefail
usage="usage: build-test-images.sh OUT_DIR [--agent PATH | --no-agent] [--push HOST:PORT]"
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?$usage}
shift
agent=""
with_agent=1
push=""
while [ $# -gt 0 ]; do
  case "$1" in
    --agent) agent=${2:?$usage}; shift 2 ;;
    --no-agent) with_agent=0; shift ;;
    --push) push=${2:?$usage}; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done

fail() { echo "build-test-images: $*" >&2; exit 1; }

if [ $with_agent -eq 1 ] && [ -z "$agent" ]; then
  for build in ci dev; do
    candidate="$repo/build/$build/src/app/sockerless-agent"
    if [ -x "$candidate" ]; then agent=$candidate; break; fi
  done
  [ -n "$agent" ] || fail "no agent in build/ci or build/dev; pass --agent PATH or --no-agent"
fi
if [ $with_agent -eq 1 ]; then
  [ -x "$agent" ] || fail "$agent is not an executable"
  # The image has no libc: a dynamic agent (as the sanitizer build makes) could not start in it.
  file -L "$agent" | grep -q 'statically linked' || fail "$agent is not statically linked"
fi
if [ -n "$push" ]; then
  command -v skopeo >/dev/null || fail "skopeo not found (apt-get install skopeo)"
fi

mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/build-test-images.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Each image: NAME (the layout under OUT_DIR), REPOSITORY (pushed as), manifest digest.
images=()

bash "$repo/scripts/make-busybox-rootfs.sh" "$work/busybox"
# The owners make-busybox-rootfs.sh gives the home directories, applied here also when not root.
digest=$(python3 "$repo/scripts/oci_layout.py" --rootfs "$work/busybox" --out "$out/busybox" \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd '["sh"]' \
  --owner usr/sbin=1:1 --owner var/spool/mail=8:8 --owner var/www=33:33 --owner home=65534:65534 \
  --created-by "BusyBox from Debian's busybox-static (scripts/make-busybox-rootfs.sh)")
images+=("busybox busybox $digest")

if [ $with_agent -eq 1 ]; then
  mkdir -p "$work/agent"
  chmod 755 "$work/agent"
  cp "$agent" "$work/agent/sockerless-agent"
  chmod 755 "$work/agent/sockerless-agent"
  digest=$(python3 "$repo/scripts/oci_layout.py" --rootfs "$work/agent" --out "$out/agent" \
    --entrypoint '["/sockerless-agent"]' --created-by "sockerless-agent (static)")
  images+=("agent sockerless-agent $digest")
fi

for image in "${images[@]}"; do
  read -r name repository digest <<<"$image"
  if [ -n "$push" ]; then
    skopeo --insecure-policy copy --quiet --preserve-digests --dest-tls-verify=false \
      "oci:$out/$name:latest" "docker://$push/$repository:latest"
  fi
  echo "$repository $digest"
done
