# Sourced by the bench scripts: `bench_work_dir NAME` prints the directory a run works in —
# $BENCH_ROOT when the caller names one, a fresh one under /tmp otherwise — and
# `tidy_work DIR` clears a fresh one down to its figures (*.tsv, *.log) when the run ends,
# because what a run makes (blobs, databases, a 1 GiB test file) is gigabytes per run;
# `start_bench_server` and `user_token` start the server under test and sign in to it.
bench_work_dir() {
  if [ -n "${BENCH_ROOT:-}" ]; then echo "$BENCH_ROOT"; else mktemp -d "/tmp/openpan-$1-bench.XXXXXX"; fi
}
tidy_work() {
  case "$1" in
    /tmp/openpan-*-bench.*) find "$1" -mindepth 1 -maxdepth 1 ! -name '*.tsv' ! -name '*.log' -exec rm -rf {} + ;;
  esac
}

# `start_bench_server PORT [VAR=VALUE ...]`: builds the release binary and starts it on PORT with its
# data in $BENCH_ROOT/openpan and the given settings; sets BIN, DATA, API and server_pid, and
# returns once it answers (or shows its log and exits).
start_bench_server() {
  local port=$1
  shift
  cargo build --release --quiet
  BIN="$ROOT/target/release/openpan"
  DATA="$BENCH_ROOT/openpan"
  API="http://127.0.0.1:$port"
  env OPENPAN_DATA_DIR="$DATA" OPENPAN_LISTEN="127.0.0.1:$port" RUST_LOG="${RUST_LOG:-warn}" "$@" \
    "$BIN" serve >"$DATA-out.log" 2>"$DATA-err.log" &
  server_pid=$!
  for _ in $(seq 200); do curl -s -o /dev/null "$API/" && break; sleep 0.1; done
  if ! curl -s -o /dev/null "$API/"; then
    echo "openpan did not start:"
    cat "$DATA-err.log"
    kill "$server_pid" 2>/dev/null || true
    exit 1
  fi
}

# `user_token NAME`: a jwt_simple token for user 1 (the first start's administrator) from the
# app the first start printed.
user_token() {
  local client_id client_secret now assertion
  client_id=$(awk '/app client_id:/ {print $NF}' "$DATA-out.log")
  client_secret=$(awk '/app client_secret:/ {print $3}' "$DATA-out.log")
  now=$(date +%s)
  assertion=$(printf '{"yifangyun_sub_type":"user","sub":1,"iat":%s,"exp":%s,"jti":"%s-%s"}' \
    "$now" $((now + 60)) "$1" "$RANDOM" | base64 -w0)
  curl -sf -X POST -u "$client_id:$client_secret" "$API/oauth/token?grant_type=jwt_simple&assertion=$assertion" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
