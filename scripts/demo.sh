#!/usr/bin/env bash
# The main job: sockerlessd on its embedded default (no AWS configured, so it starts the local
# Fargate simulator, which runs every container as a real task with the agent injected), then the
# stock docker CLI against it: pull, `docker run --rm`, and exec into a running container. The
# image comes from a local registry (the project's busybox test image), so nothing leaves the
# machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci --target sockerlessd sockerless-agent sockerless-awssim

work=$(mktemp -d)
daemon=
cleanup() {
  if [ -n "$daemon" ]; then kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true; fi
  python3 tests/support/registry.py stop --dir "$work/registry" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== a local registry with the busybox test image"
registry=$(python3 tests/support/registry.py start --dir "$work/registry" | head -1)
bash scripts/build-test-images.sh "$work/images" --no-agent --push "$registry" >/dev/null
image=$registry/busybox:latest

echo "== sockerlessd on its embedded default"
build/ci/src/app/sockerlessd -H "unix://$work/sockerless.sock" --state-dir "$work/state" \
  2> >(sed 's/^/   sockerlessd: /' >&2) &
daemon=$!
export DOCKER_HOST=unix://$work/sockerless.sock
for _ in $(seq 200); do docker version >/dev/null 2>&1 && break; sleep 0.05; done
docker info --format '   backend: {{range .DriverStatus}}{{index . 0}}={{index . 1}}  {{end}}'

echo "== docker pull $image"
docker pull -q "$image"
echo "== docker run --rm $image sh -c '...'"
set +e
docker run --rm "$image" sh -c 'echo "hello from a task: $(hostname), pid $$"; exit 3'
echo "== exit code: $? (the process's own)"
set -e
echo "== docker run -d, then docker exec"
cid=$(docker run -d "$image" sleep 300)
docker exec "$cid" sh -c 'echo "exec in the same task: $(cat /etc/hostname 2>/dev/null || hostname)"'
docker ps --format '   {{.ID}}  {{.Image}}  {{.Status}}'
docker rm -f "$cid" >/dev/null
echo "== done"
