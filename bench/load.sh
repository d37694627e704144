#!/usr/bin/env bash
# Load and soak on the scale-out stack (PostgreSQL, an S3 server, Redis, nginx, all on loopback):
#   one node   mixed traffic through nginx for LOAD_SECONDS, with the node's RSS and open file
#              descriptors sampled every 10 s (the soak: the last minute against the second,
#              the first being warm-up)
#   two nodes  the same traffic over the same seeded files (plus what the first phase uploaded),
#              through the same nginx taking turns
# Everything (wrk, nginx, PostgreSQL, the S3 server, Redis, the nodes) shares this machine, so on
# 2 cores the two-node figure shows the cost of a second node competing for the same cores, not
# the gain of a second machine.
# The mix (bench/lua/mixed.lua): 60 % file info, 20 % folder listings, 10 % uploads of 1 MiB
# (file/upload + the bytes), 10 % downloads (file/{id}/download + the bytes of a 1 MiB file).
# Every answer is expected to be 200; non-200 answers and socket errors are counted as errors.
# Usage: bench/load.sh   (env: LOAD_SECONDS=600 CONNS=16)
# Needs PostgreSQL, redis-server, nginx, s3s-fs and wrk (what .ci/run installs, plus wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=/dev/null
source "$ROOT/bench/work-dir.sh"
BENCH_ROOT=$(bench_work_dir load)
LOAD_SECONDS=${LOAD_SECONDS:-600}
# One connection per wrk thread: mixed.lua pairs each answer with the request it sent in order.
CONNS=${CONNS:-16}
RESULTS="$ROOT/bench/load-results-$(date +%F).tsv"
PG_PORT=18190; S3_PORT=18191; REDIS_PORT=18192; LB_PORT=18193; NODE_PORTS=(18194 18195)
LB="http://127.0.0.1:$LB_PORT"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
BIN="$ROOT/target/release/openpan"
pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")

pids=()
nginx_pid=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$BENCH_ROOT/pg" -m immediate stop >/dev/null 2>&1 || true
  tidy_work "$BENCH_ROOT"
}
trap cleanup EXIT
wait_tcp() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

echo "--- PostgreSQL, S3, Redis on loopback ($BENCH_ROOT)"
mkdir -p "$BENCH_ROOT/pg" "$BENCH_ROOT/s3/openpan-load" && chown postgres "$BENCH_ROOT/pg"
chmod 755 "$BENCH_ROOT"
touch "$BENCH_ROOT/pg.log" && chown postgres "$BENCH_ROOT/pg.log"
runuser -u postgres -- "$pg_bin/initdb" -D "$BENCH_ROOT/pg" -A trust -U postgres >/dev/null
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$BENCH_ROOT/pg" -l "$BENCH_ROOT/pg.log" -w \
  -o "-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on" start >/dev/null
s3s-fs --host 127.0.0.1 --port "$S3_PORT" --access-key openpan --secret-key openpan-secret "$BENCH_ROOT/s3" \
  >"$BENCH_ROOT/s3.log" 2>&1 &
pids+=($!)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >"$BENCH_ROOT/redis.log" 2>&1 &
pids+=($!)
wait_tcp "$S3_PORT"; wait_tcp "$REDIS_PORT"

# `start_node N`: node N (0 or 1) on the shared stack, answering as the balancer.
start_node() {
  local port=${NODE_PORTS[$1]} data="$BENCH_ROOT/node$1"
  mkdir -p "$data"
  env OPENPAN_DATA_DIR="$data" OPENPAN_LISTEN="127.0.0.1:$port" OPENPAN_PUBLIC_URL="$LB" \
    OPENPAN_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres" \
    OPENPAN_STORAGE=s3://openpan-load OPENPAN_S3__ENDPOINT="http://127.0.0.1:$S3_PORT" \
    OPENPAN_S3__ACCESS_KEY_ID=openpan OPENPAN_S3__SECRET_ACCESS_KEY=openpan-secret \
    OPENPAN_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" OPENPAN_SECRET_KEY=load-bench-shared-secret-key-0123456789 \
    OPENPAN_TRUSTED_PROXIES=127.0.0.1 RUST_LOG=warn \
    OPENPAN_RATE_LIMIT__DEFAULT__PER_APP=1000000000 OPENPAN_RATE_LIMIT__DEFAULT__PER_USER=1000000000 \
    OPENPAN_RATE_LIMIT__DEFAULT__PER_IP=1000000000 OPENPAN_RATE_LIMIT__UPLOAD__PER_APP=1000000000 \
    OPENPAN_RATE_LIMIT__UPLOAD__PER_USER=1000000000 OPENPAN_RATE_LIMIT__UPLOAD__PER_IP=1000000000 \
    OPENPAN_RATE_LIMIT__TOKEN__PER_IP=1000000000 \
    "$BIN" serve >"$data-out.log" 2>"$data/err.log" &
  node_pids[$1]=$!
  pids+=($!)
  wait_tcp "$port" || { cat "$data/err.log"; exit 1; }
}

# `balance N`: nginx, with the deployment's own server block, in front of the first N nodes.
balance() {
  local dir="$BENCH_ROOT/nginx" servers=""
  if [ -n "$nginx_pid" ]; then kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; fi
  mkdir -p "$dir"
  for i in $(seq 0 $(($1 - 1))); do servers+="    server 127.0.0.1:${NODE_PORTS[$i]} max_fails=0;"$'\n'; done
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
master_process off;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
access_log off;
client_body_temp_path $dir/body; proxy_temp_path $dir/proxy; fastcgi_temp_path $dir/fastcgi;
uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;
upstream openpan {
$servers    keepalive 64;
}
$(sed "s/listen 80;/listen 127.0.0.1:$LB_PORT;/" "$ROOT/deploy/nginx/openpan-site.conf")
}
CONF
  /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" &
  nginx_pid=$!
  pids+=($!)
  wait_tcp "$LB_PORT"
}

declare -a node_pids
printf 'phase\tfigure\tvalue\n' >"$RESULTS"
start_node 0
balance 1

echo "--- seeding: 5 folders of 20 files of 1 MiB"
# user_token (work-dir.sh) reads the first node's printed app from $DATA-out.log and signs in at $API.
DATA="$BENCH_ROOT/node0" API="$LB"
BEARER=$(user_token load)
seeded=$(python3 - "$LB" "$BEARER" <<'PY'
import os, sys, requests
api, bearer = sys.argv[1], sys.argv[2]
auth = {"Authorization": f"Bearer {bearer}"}
def post(path, body):
    r = requests.post(f"{api}/api/v2/{path}", json=body, headers=auth, timeout=60)
    r.raise_for_status()
    return r.json()
folders, files = [], []
for f in range(5):
    folder = post("folder/create", {"name": f"seed-dir-{f}", "parent_id": 0})["id"]
    folders.append(folder)
    for i in range(20):
        url = post("file/upload", {"parent_id": folder, "name": f"seed-{i}.bin", "upload_type": "api"})["presign_url"]
        r = requests.post(url, files={"file": ("f", os.urandom(1 << 20))}, timeout=60)
        r.raise_for_status()
        files.append(r.json()["id"])
# Uploads are named load-…; mixed.lua tells their answers from file info by that name.
uploads = post("folder/create", {"name": "uploads-dir", "parent_id": 0})["id"]
print(f"FOLDER_IDS='{' '.join(map(str, folders))}'")
print(f"FILE_IDS='{' '.join(map(str, files))}'")
print(f"UPLOAD_FOLDER={uploads}")
PY
)
eval "$seeded"
: "${FILE_IDS:?seeding failed}" "${FOLDER_IDS:?seeding failed}" "${UPLOAD_FOLDER:?seeding failed}"
export BEARER FOLDER_IDS FILE_IDS UPLOAD_FOLDER

# `sample PID FILE`: the node's RSS (KiB) and open descriptors every 10 s until it is told to stop.
sample() {
  while kill -0 "$1" 2>/dev/null; do
    printf '%s\t%s\t%s\n' "$(date +%s)" "$(awk '/^VmRSS/ {print $2}' "/proc/$1/status")" \
      "$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l)" >>"$2"
    sleep 10
  done
}

# `load LABEL`: the mix for LOAD_SECONDS through the balancer; one TSV row per figure.
load() {
  wrk -t"$CONNS" -c"$CONNS" -d"${LOAD_SECONDS}s" --timeout 30s -s "$ROOT/bench/lua/mixed.lua" "$LB" \
    >"$BENCH_ROOT/wrk-$1.log" 2>&1
  python3 - "$1" "$BENCH_ROOT/wrk-$1.log" >>"$RESULTS" <<'PY'
import sys
label, log = sys.argv[1], sys.argv[2]
tally, figures = {}, {}
for line in open(log):
    parts = line.rstrip("\n").split("\t")
    if parts[0] == "tally":
        tally[parts[1]] = int(parts[2])
    elif len(parts) == 3 and parts[0] in ("latency", "requests", "errors"):
        figures[f"{parts[0]}_{parts[1]}"] = parts[2]
errors = sum(n for key, n in tally.items() if not key.endswith(" 200")) + int(figures["errors_socket"])
kinds = {}
for key, n in tally.items():
    kinds[key.split(" ")[0]] = kinds.get(key.split(" ")[0], 0) + n
for name, value in [("requests_per_sec", figures["requests_per_sec"]), ("p50_ms", figures["latency_p50_ms"]),
                    ("p99_ms", figures["latency_p99_ms"]), ("errors", errors)] + sorted(kinds.items()):
    print(f"{label}\t{name}\t{value}")
PY
}

echo "--- one node, ${LOAD_SECONDS}s (and the soak samples)"
sample "${node_pids[0]}" "$BENCH_ROOT/soak.tsv" &
sampler=$!
load one-node
kill "$sampler" 2>/dev/null || true
python3 - "$BENCH_ROOT/soak.tsv" >>"$RESULTS" <<'PY'
import sys
rows = [list(map(int, line.split())) for line in open(sys.argv[1]) if line.strip()]
if len(rows) < 2:
    sys.exit("the soak took fewer than two samples")
# The first minute warms caches and pools; growth is the last minute against the second.
first, last = rows[6:12] or rows[:1], rows[-6:]
mean = lambda rs, i: sum(r[i] for r in rs) / len(rs)
rss0, rss1 = mean(first, 1), mean(last, 1)
fd0, fd1 = mean(first, 2), mean(last, 2)
print(f"soak\trss_mib_start\t{rss0 / 1024:.1f}")
print(f"soak\trss_mib_end\t{rss1 / 1024:.1f}")
print(f"soak\trss_growth_pct\t{(rss1 - rss0) / rss0 * 100:.1f}")
print(f"soak\tfds_start\t{fd0:.0f}")
print(f"soak\tfds_end\t{fd1:.0f}")
PY

echo "--- two nodes, ${LOAD_SECONDS}s"
start_node 1
balance 2
load two-nodes
python3 - "$RESULTS" <<'PY' | tee -a "$RESULTS"
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
rps = {r[0]: float(r[2]) for r in rows if len(r) == 3 and r[1] == "requests_per_sec"}
if "one-node" in rps and "two-nodes" in rps:
    print(f"ratio\ttwo_nodes_vs_one\t{rps['two-nodes'] / rps['one-node']:.2f}")
PY
column -t -s $'\t' "$RESULTS"
