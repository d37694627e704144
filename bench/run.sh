#!/usr/bin/env bash
# Token endpoint and authenticated API throughput against peers measured in the same run:
#   openpan jwt_simple + refresh_token  vs  oidc-provider client_credentials
#   openpan GET /api/v2/folder/0/info   vs  nginx serving the same JSON as a static file
#   openpan idle RSS
# Usage: bench/run.sh   (env: WRK_RUNS=3 WRK_DURATION=10s WRK_CONNS=64 WRK_THREADS=2 PEERS=../shared/bench/peers)
# Installs the peers on first use (apt nginx, npm oidc-provider). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PEERS="${PEERS:-$ROOT/../shared/bench/peers}"
WRK_RUNS="${WRK_RUNS:-3}"; WRK_DURATION="${WRK_DURATION:-10s}"; WRK_CONNS="${WRK_CONNS:-64}"; WRK_THREADS="${WRK_THREADS:-2}"
# shellcheck source=/dev/null
source "$ROOT/bench/work-dir.sh"
WORK=$(bench_work_dir token)
RESULTS="$WORK/results.tsv"
OURS_PORT=18080; NGINX_PORT=18081; OIDC_PORT=18082
: >"$RESULTS"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bash "$PEERS/nginx.sh" install >/dev/null
bash "$PEERS/oidc-provider.sh" install >/dev/null
cargo build --release --quiet
BIN="$ROOT/target/release/openpan"

server_pid=""
stop_server() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; server_pid=""; }
cleanup() {
  stop_server
  bash "$PEERS/nginx.sh" stop "$NGINX_PORT" >/dev/null 2>&1 || true
  bash "$PEERS/oidc-provider.sh" stop "$OIDC_PORT" >/dev/null 2>&1 || true
  tidy_work "$WORK"
}
trap cleanup EXIT

wait_http() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

# run_wrk LABEL URL [wrk args...]: WRK_RUNS runs; rows: label run rps p99_ms non2xx
run_wrk() {
  local label="$1" url="$2"; shift 2
  for run in $(seq 1 "$WRK_RUNS"); do
    out=$(wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$WRK_DURATION" --timeout 10s --latency "$@" "$url")
    echo "$out" >>"$WORK/wrk.log"
    python3 - "$label" "$run" >>"$RESULTS" <<PY
import re, sys
out = """$out"""
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
m = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
print(f"{sys.argv[1]}\t{sys.argv[2]}\t{rps:.0f}\t{p99:.2f}\t{bad.group(1) if bad else 0}")
PY
  done
}

start_openpan() {
  local data="$1"
  OPENPAN_DATA_DIR="$data" OPENPAN_LISTEN="127.0.0.1:$OURS_PORT" RUST_LOG=warn \
  OPENPAN_RATE_LIMIT__DEFAULT__PER_APP=1000000000 OPENPAN_RATE_LIMIT__DEFAULT__PER_USER=1000000000 \
  OPENPAN_RATE_LIMIT__TOKEN__PER_IP=1000000000 \
    "$BIN" serve >"$data.out" 2>"$data.err" &
  server_pid=$!
  wait_http "http://127.0.0.1:$OURS_PORT/"
}

token() { # token CLIENT_ID SECRET SUB_TYPE SUB -> JSON
  local now; now=$(date +%s)
  local assertion; assertion=$(printf '{"yifangyun_sub_type":"%s","sub":%s,"iat":%s,"exp":%s,"jti":"bench-%s-%s"}' "$3" "$4" "$now" $((now + 60)) "$RANDOM$RANDOM" "$now" | base64 -w0)
  curl -sf -X POST -u "$1:$2" "http://127.0.0.1:$OURS_PORT/oauth/token?grant_type=jwt_simple&assertion=$assertion"
}

echo "--- openpan"
DATA="$WORK/openpan"
start_openpan "$DATA"
CLIENT_ID=$(awk '/app client_id:/ {print $NF}' "$DATA.out")
CLIENT_SECRET=$(awk '/app client_secret:/ {print $3}' "$DATA.out")
USER_ID=$(OPENPAN_DATA_DIR="$DATA" "$BIN" admin create-user --enterprise-id 1 --name Bench --email bench@openpan.local --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["user_id"])')
USER_TOKEN=$(token "$CLIENT_ID" "$CLIENT_SECRET" user "$USER_ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -sf -H "Authorization: Bearer $USER_TOKEN" "http://127.0.0.1:$OURS_PORT/api/v2/folder/0/info" >"$WORK/folder.json"
export CLIENT_ID CLIENT_SECRET ENTERPRISE_ID=1
run_wrk openpan-jwt_simple "http://127.0.0.1:$OURS_PORT/oauth/token" -s bench/lua/jwt_simple.lua
for _ in $(seq 256); do token "$CLIENT_ID" "$CLIENT_SECRET" enterprise 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["refresh_token"])'; done >"$WORK/refresh.txt"
for run in $(seq 1 "$WRK_RUNS"); do
  # A run consumes its refresh tokens (each is single-use), so every run starts from fresh ones.
  [ "$run" -gt 1 ] && for _ in $(seq 256); do token "$CLIENT_ID" "$CLIENT_SECRET" enterprise 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["refresh_token"])'; done >"$WORK/refresh.txt"
  WRK_RUNS=1 REFRESH_TOKENS_FILE="$WORK/refresh.txt" WRK_THREADS_N="$WRK_THREADS" \
    run_wrk "openpan-refresh" "http://127.0.0.1:$OURS_PORT/oauth/token" -s bench/lua/refresh.lua
done
run_wrk openpan-folder-info "http://127.0.0.1:$OURS_PORT/api/v2/folder/0/info" -H "Authorization: Bearer $USER_TOKEN"
stop_server

echo "--- idle RSS"
DATA2="$WORK/idle"
start_openpan "$DATA2"
sleep 3
RSS_KB=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")
printf 'openpan-idle-rss\t1\t%s\t0\t0\n' "$RSS_KB" >>"$WORK/rss.tsv"
stop_server

echo "--- nginx (static JSON of the same folder info)"
mkdir -p "$WORK/www/api/v2/folder/0"
cp "$WORK/folder.json" "$WORK/www/api/v2/folder/0/info"
bash "$PEERS/nginx.sh" start "$NGINX_PORT" "$WORK/www" >/dev/null
wait_http "http://127.0.0.1:$NGINX_PORT/api/v2/folder/0/info"
run_wrk nginx-static-json "http://127.0.0.1:$NGINX_PORT/api/v2/folder/0/info" -H "Authorization: Bearer $USER_TOKEN"
bash "$PEERS/nginx.sh" stop "$NGINX_PORT" >/dev/null

echo "--- oidc-provider (client_credentials)"
bash "$PEERS/oidc-provider.sh" start "$OIDC_PORT" >/dev/null
sleep 1
TOKEN_CLIENT=bench-client TOKEN_SECRET=bench-secret run_wrk oidc-provider-client_credentials "http://127.0.0.1:$OIDC_PORT/token" -s "$PEERS/lua/token.lua"
bash "$PEERS/oidc-provider.sh" stop "$OIDC_PORT" >/dev/null

python3 bench/summarize.py "$RESULTS" "$WORK/rss.tsv"
echo "raw: $RESULTS, wrk output: $WORK/wrk.log"
