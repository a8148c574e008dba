#!/usr/bin/env bash
# Where the CPU of a cold blob GET through the edge goes, on loopback: one blob (default
# 128 MiB) fetched with curl through the edge cold (the edge receives it from main, hashes it,
# writes it and sends it), then hot (the edge only sends it, from its store), then straight from
# main; each line gives curl's time and the CPU time of the server that sent it.
#
# Why: on a 2-core machine a pull through the edge shares the cores with main and the client,
# so the edge's own CPU per byte is what a cold pull pays over a direct one (`npm run bench --
# --only edge-cold-pull`). cold - hot is what receiving, hashing and keeping the blob cost; hot
# alone is what sending it costs, about what main spends sending it straight.
#
# Usage: load/by-hand/edge-cold-cpu.sh [rounds (default 3)] [blob MiB (default 128)]
# Needs: a built dist/ (npm run build), curl, sha256sum. Each round pushes a new random blob.
set -euo pipefail

ROUNDS=${1:-3}
MIB=${2:-128}
# shellcheck source=load/by-hand/lib.sh
. "$(dirname "$0")/lib.sh"
start_main_and_edge

timed_get() { # $1: pid of the server that answers, then curl's arguments; prints "seconds cpu-ms"
  local pid=$1 before after seconds
  shift
  before=$(cpu_ticks "$pid")
  seconds=$(curl -fsS -o /dev/null -w '%{time_total}' "$@")
  after=$(cpu_ticks "$pid")
  echo "$seconds $(((after - before) * 10))"
}

echo "blob: $MIB MiB of random bytes, a new one each round; CPU in ms, of the server that sent it"
printf '%-6s %18s %18s %18s\n' round 'edge cold (s/CPU)' 'edge hot (s/CPU)' 'main direct (s/CPU)'
for round in $(seq 1 "$ROUNDS"); do
  head -c $((MIB * 1024 * 1024)) /dev/urandom >"$WORK/blob"
  push_blob "$WORK/blob"
  read -r cold_s cold_cpu < <(timed_get "$EDGE_PID" "$LOCATION")
  read -r hot_s hot_cpu < <(timed_get "$EDGE_PID" "$LOCATION")
  read -r direct_s direct_cpu < <(timed_get "$MAIN_PID" -u "admin:$ADMIN_PASSWORD" "$MAIN/v2/bench/small/blobs/$DIGEST")
  printf '%-6s %18s %18s %18s\n' "$round" "$cold_s/$cold_cpu" "$hot_s/$hot_cpu" "$direct_s/$direct_cpu"
done
