#!/usr/bin/env bash
# The main job as it stands: build the static agent, start it the way a task starts it (PID-1
# supervisor of a main process, serving exec on 127.0.0.1), then exec into it like `docker exec`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci --target sockerless-agent sockerless-agent-exec

bin=build/ci/src/app
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

token=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
echo "== $(file -b "$bin/sockerless-agent" | cut -d, -f1-4), $(stat -c %s "$bin/sockerless-agent") bytes"
SOCKERLESS_AGENT_TOKEN=$token SOCKERLESS_AGENT_ADDR=127.0.0.1 SOCKERLESS_AGENT_PORT=0 \
SOCKERLESS_AGENT_PORT_FILE=$work/port \
  "$bin/sockerless-agent" --keep-alive -- /bin/sh -c 'echo "main process: hello from pid $$"' &
pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")
echo "== agent pid $pid listening on 127.0.0.1:$port"

export SOCKERLESS_AGENT_TOKEN=$token
echo "== exec: sh -c 'echo hello from exec; id -u; exit 3'"
set +e
"$bin/sockerless-agent-exec" --addr "127.0.0.1:$port" -- sh -c 'echo hello from exec; id -u; exit 3'
echo "== exec exit code: $?"
echo "== exec -i: piping 'via stdin' into tr"
echo "via stdin" | "$bin/sockerless-agent-exec" -i --addr "127.0.0.1:$port" -- tr a-z A-Z
echo "== SIGTERM to the agent"
kill -TERM "$pid"
wait "$pid"
echo "== agent exit code: $? (128+15: the keep-alive agent ended by SIGTERM)"
pid=
