#!/usr/bin/env bash
# The organisation directory at scale: a department of 10,000 users and a tree 10 levels deep.
#   members, first page vs the last (100 a page)   GET admin/department/{id}/users?page_id=…
#   sub-departments of the 10th level            GET department/{id}/children
#   colleagues by name over 10,000 users           GET user/search?query_words=…
# No peer serves an organisation directory, so the figure that shows the query is one indexed
# page is the last page's rate against the first's, measured in the same run (1.0 = flat).
# Usage: bench/org.sh   (env: WRK_RUNS=3 WRK_DURATION=10s WRK_CONNS=64)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PEERS="${PEERS:-$ROOT/../shared/bench/peers}"
# shellcheck source=/dev/null
source "$ROOT/bench/work-dir.sh"
BENCH_ROOT=$(bench_work_dir org)
export BENCH_ROOT
export RESULTS="$BENCH_ROOT/results.tsv"
# shellcheck source=/dev/null
source "$PEERS/bench-lib.sh"
: >"$RESULTS"
PORT=18095
API="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
BIN="$ROOT/target/release/openpan"
DATA="$BENCH_ROOT/openpan"
OPENPAN_DATA_DIR="$DATA" OPENPAN_LISTEN="127.0.0.1:$PORT" RUST_LOG=warn \
OPENPAN_RATE_LIMIT__DEFAULT__PER_APP=1000000000 OPENPAN_RATE_LIMIT__DEFAULT__PER_USER=1000000000 \
OPENPAN_RATE_LIMIT__SEARCH__PER_APP=1000000000 OPENPAN_RATE_LIMIT__SEARCH__PER_USER=1000000000 \
  "$BIN" serve >"$DATA.out" 2>"$DATA.err" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; tidy_work "$BENCH_ROOT"' EXIT
for _ in $(seq 200); do curl -s -o /dev/null "$API/" && break; sleep 0.1; done
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
CLIENT_ID=$(awk '/app client_id:/ {print $NF}' "$DATA.out")
CLIENT_SECRET=$(awk '/app client_secret:/ {print $3}' "$DATA.out")
token() { # sub_type sub
  local now assertion
  now=$(date +%s)
  assertion=$(printf '{"yifangyun_sub_type":"%s","sub":%s,"iat":%s,"exp":%s,"jti":"org-bench-%s-%s"}' "$1" "$2" "$now" $((now + 60)) "$1" "$RANDOM" | base64 -w0)
  curl -sf -X POST -u "$CLIENT_ID:$CLIENT_SECRET" "$API/oauth/token?grant_type=jwt_simple&assertion=$assertion" | json '["access_token"]'
}
ADMIN=$(token enterprise 1)
post() { curl -sf -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d "$2" "$API/api/v2/$1"; }

# The department, then 10,000 members written straight into the database (the API would take
# minutes to add them one by one; the rows are what add_user writes).
big=$(post admin/department/create '{"name":"全员","parent_id":0}' | json '["id"]')
parent=0
for level in $(seq 1 10); do
  parent=$(post admin/department/create "{\"name\":\"L$level\",\"parent_id\":$parent}" | json '["id"]')
done
deepest=$parent
python3 - "$DATA/openpan.db" "$big" <<'PY'
import sqlite3, sys, time
db, department = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect(db, timeout=60)
now = int(time.time())
users = [(1, f"成员{i:05}", f"m{i:05}@bench.local", 1, 0, 0, 0, -1, now, 1) for i in range(10_000)]
con.executemany("insert into user_account (enterprise_id, name, email, active, is_admin, hide_phone, "
                "disable_download, space_total, created_at, department_count) values (?,?,?,?,?,?,?,?,?,?)", users)
ids = [row[0] for row in con.execute("select user_id from user_account where email like 'm%@bench.local'")]
con.executemany("insert into department_user (department_id, user_id, created_at) values (?,?,?)",
                [(department, user, now) for user in ids])
con.execute("update department set user_count = ? where department_id = ?", (len(ids), department))
con.commit()
PY
count=$(curl -sf -H "Authorization: Bearer $ADMIN" "$API/api/v2/admin/department/$big/users?page_capacity=100" | json '["total_count"]')
[ "$count" = 10000 ] || { echo "department holds $count users" >&2; exit 1; }
export BEARER="$ADMIN"
bench_wrk org-members-first-page "$API/api/v2/admin/department/$big/users?page_id=0&page_capacity=100" bench/lua/bearer.lua
bench_wrk org-members-last-page "$API/api/v2/admin/department/$big/users?page_id=99&page_capacity=100" bench/lua/bearer.lua
bench_wrk org-children-level-10 "$API/api/v2/admin/department/$deepest/children" bench/lua/bearer.lua
BEARER=$(token user 1)
export BEARER
bench_wrk org-user-search "$API/api/v2/user/search?query_words=%E6%88%90%E5%91%98099&page_capacity=20" bench/lua/bearer.lua

echo "--- results ($RESULTS)"
python3 "$PEERS/summarize.py" "$RESULTS"
