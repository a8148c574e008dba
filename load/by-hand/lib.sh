# Shared by the by-hand scripts (source it; needs `set -euo pipefail` in the caller): main with
# authentication and an edge on 127.0.0.1 in a temporary directory, a user `bench` whose cache
# profile is the edge, and helpers. Everything it starts is stopped, and the directory removed,
# on exit.
#
# After `start_main_and_edge`: ROOT, WORK, MAIN, EDGE, MAIN_PID, EDGE_PID, ADMIN_PASSWORD,
# USER_PASSWORD. `push_blob FILE` pushes FILE to bench/small as `bench` and sets DIGEST and
# LOCATION (the URL main's 307 gives for it: the edge, with a redirect token).
# EDGE_NODE_ARGS (optional) goes to node before the edge's script, e.g. --cpu-prof.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d /tmp/outpost-by-hand-XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() { node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_http() {
  for _ in $(seq 1 150); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "no answer from $1" >&2
  return 1
}
# User and system CPU time of a process so far, in clock ticks (10 ms).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

start_main_and_edge() {
  ADMIN_PASSWORD=admin-pw-$RANDOM$RANDOM
  USER_PASSWORD=bench-pw-$RANDOM$RANDOM
  local main_port edge_port
  main_port=$(free_port)
  edge_port=$(free_port)
  MAIN=http://127.0.0.1:$main_port
  EDGE=http://127.0.0.1:$edge_port
  # Main's redirect tokens live 2 minutes by default; a URL reused past that is answered 401.
  OUTPOST_MAIN_AUTH__ENABLED=true OUTPOST_ADMIN_PASSWORD=$ADMIN_PASSWORD \
    OUTPOST_MAIN_CACHES__REDIRECT_TOKEN_LIFETIME=30m \
    node "$ROOT/dist/bin/outpost.js" main --listen "127.0.0.1:$main_port" --data "$WORK/main" \
    2>"$WORK/main.log" &
  MAIN_PID=$!
  PIDS+=("$MAIN_PID")
  wait_http "$MAIN/health"
  api POST /accounts "{\"name\":\"bench\",\"password\":\"$USER_PASSWORD\"}"
  # shellcheck disable=SC2086 # EDGE_NODE_ARGS is a list of node options
  node ${EDGE_NODE_ARGS:-} "$ROOT/dist/bin/outpost.js" edge --name hand --upstream "$MAIN" --issuer "$MAIN" \
    --listen "127.0.0.1:$edge_port" --data "$WORK/edge" 2>"$WORK/edge.log" &
  EDGE_PID=$!
  PIDS+=("$EDGE_PID")
  wait_http "$EDGE/health"
  api POST /content_caches "{\"name\":\"hand\",\"host\":\"$EDGE\"}"
  api POST /accounts/bench/settings '{"defaultContentCache":"hand"}'
}
api() { curl -fsS -u "admin:$ADMIN_PASSWORD" -H 'content-type: application/json' -X "$1" "$MAIN/api/v0$2" -d "$3" >/dev/null; }

push_blob() {
  DIGEST=sha256:$(sha256sum "$1" | cut -d' ' -f1)
  curl -fsS -u "bench:$USER_PASSWORD" -X POST -H 'content-type: application/octet-stream' \
    --data-binary "@$1" "$MAIN/v2/bench/small/blobs/uploads/?digest=$DIGEST" >/dev/null
  LOCATION=$(curl -fsS -o /dev/null -w '%{redirect_url}' -u "bench:$USER_PASSWORD" "$MAIN/v2/bench/small/blobs/$DIGEST")
  case $LOCATION in "$EDGE"/*) ;; *) echo "expected a 307 to the edge, got '$LOCATION'" >&2; return 1 ;; esac
}
