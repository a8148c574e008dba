#!/usr/bin/env bash
# Small hits measured by hand, outside `npm run bench`: a hot 100 KiB blob served by an edge
# through the URL main's 307 gives, against nginx on the same file, with plain
# `wrk -t2 -c64 -d8s` and no warm-up run, the way one checks a figure at a terminal.
#
# Two things made earlier hand measurements read low (load/README.md, "edge-small-blobs"):
# - main's redirect tokens live 2 minutes by default. A URL copied from a 307 and reused past
#   that is answered 401, which wrk counts only on its "Non-2xx" line. Main runs here with
#   OUTPOST_MAIN_CACHES__REDIRECT_TOKEN_LIFETIME=30m, and every wrk run must show no non-2xx line.
# - Debian's stock nginx runs one worker per core; the edge is one process. Both are measured:
#   nginx with 1 worker and with `auto`.
# Both log every request, as each does out of the box (nginx unbuffered to a file, the edge its
# access log).
#
# Usage: load/by-hand/edge-small-hits.sh [rounds (default 3)] [blob KiB (default 100)]
# Needs: a built dist/ (npm run build), nginx, wrk, curl, sha256sum. Everything runs on
# 127.0.0.1 in a temporary directory, removed on exit with the processes the script started.
set -euo pipefail

ROUNDS=${1:-3}
KIB=${2:-100}
# shellcheck source=load/by-hand/lib.sh
. "$(dirname "$0")/lib.sh"
start_main_and_edge
head -c $((KIB * 1024)) /dev/urandom >"$WORK/blob"
push_blob "$WORK/blob"
# One pull makes the blob hot on the edge.
curl -fsS -o "$WORK/pulled" "$LOCATION"
cmp -s "$WORK/blob" "$WORK/pulled" || { echo 'the edge sent other bytes' >&2; exit 1; }

start_nginx() { # $1: worker_processes, $2: port
  local dir=$WORK/nginx-$1
  mkdir -p "$dir/temp"
  cat >"$dir/nginx.conf" <<EOF
daemon off;
worker_processes $1;
$( [ "$(id -u)" = 0 ] && echo 'user root root;')
pid $dir/nginx.pid;
error_log $dir/error.log error;
events { worker_connections 4096; }
http {
  access_log $dir/access.log; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path $dir/temp/b; proxy_temp_path $dir/temp/p; fastcgi_temp_path $dir/temp/f;
  uwsgi_temp_path $dir/temp/u; scgi_temp_path $dir/temp/s;
  server { listen 127.0.0.1:$2; root $WORK/edge/blobs/sha256; }
}
EOF
  nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" >"$dir/out.log" 2>&1 &
  PIDS+=($!)
}
HEX=${DIGEST#sha256:}
PORT1=$(free_port)
start_nginx 1 "$PORT1"
PORTA=$(free_port)
start_nginx auto "$PORTA"
NGINX1=http://127.0.0.1:$PORT1/${HEX:0:2}/$HEX
NGINXA=http://127.0.0.1:$PORTA/${HEX:0:2}/$HEX
wait_http "$NGINX1"
wait_http "$NGINXA"

measure() { # $1: name, $2: URL; prints req/s, fails on any non-2xx answer or socket error
  local out
  out=$(wrk -t2 -c64 -d8s "$2")
  if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
    echo "$1: not every answer was 2xx:" >&2
    echo "$out" >&2
    exit 1
  fi
  awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out"
}

echo "blob $DIGEST ($KIB KiB); edge URL: ${LOCATION%%\?*}?token=…"
printf '%-6s %10s %14s %17s %14s %17s\n' round edge nginx-1worker 'edge/nginx-1' nginx-auto 'edge/nginx-auto'
for round in $(seq 1 "$ROUNDS"); do
  edge=$(measure edge "$LOCATION")
  one=$(measure nginx-1 "$NGINX1")
  auto=$(measure nginx-auto "$NGINXA")
  printf '%-6s %10s %14s %16.2fx %14s %16.2fx\n' "$round" "$edge" "$one" \
    "$(echo "$edge / $one" | bc -l)" "$auto" "$(echo "$edge / $auto" | bc -l)"
done
