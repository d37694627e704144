#!/usr/bin/env bash
# The drive against peers measured in the same run, on the same disk:
#   download 1 GiB   openpan download URL          vs  nginx (sendfile), dufs
#   upload 1 GiB     openpan upload_v2 + POST      vs  dd conv=fsync, dufs PUT, miniserve POST, copyparty PUT
#   list 1,000       openpan folder children (token, ACL, JSON of 1,000 files; page cache on, then off;
#                    as the owner and as a collaborator)  vs  nginx autoindex JSON, dufs ?json
#   move             a folder holding 100,000 items, POST folder/{id}/move (ms per move)
#   memory           openpan peak RSS over the upload runs
# Usage: bench/drive.sh   (env: RUNS=5 WRK_RUNS=3 WRK_DURATION=10s WRK_CONNS=64 SIZE_MB=1024 PEERS=…)
# Installs the peers on first use (apt nginx, cargo dufs and miniserve, pip copyparty).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PEERS="${PEERS:-$ROOT/../shared/bench/peers}"
# shellcheck source=/dev/null
source "$ROOT/bench/work-dir.sh"
BENCH_ROOT=$(bench_work_dir drive)
export BENCH_ROOT
export RESULTS="$BENCH_ROOT/results.tsv"
# shellcheck source=/dev/null
source "$PEERS/bench-lib.sh"
: >"$RESULTS"
OURS_PORT=18090; NGINX_PORT=18091; DUFS_PORT=18092; MINI_PORT=18093; PARTY_PORT=18094
API="http://127.0.0.1:$OURS_PORT"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
for peer in nginx dufs miniserve copyparty; do bash "$PEERS/$peer.sh" install >/dev/null; done
cargo build --release --quiet
BIN="$ROOT/target/release/openpan"

server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  for peer in nginx:$NGINX_PORT dufs:$DUFS_PORT miniserve:$MINI_PORT copyparty:$PARTY_PORT; do
    bash "$PEERS/${peer%%:*}.sh" stop "${peer##*:}" >/dev/null 2>&1 || true
  done
  tidy_work "$BENCH_ROOT"
}
trap cleanup EXIT
wait_http() { for _ in $(seq 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

make_big
WWW="$BENCH_ROOT/www"; mkdir -p "$WWW/list"
for i in $(seq -w 1 1000); do : >"$WWW/list/note-$i.md"; done

echo "--- openpan"
DATA="$BENCH_ROOT/openpan"
# Starts openpan on $DATA; extra VAR=value settings come as arguments.
start_openpan() {
  env OPENPAN_DATA_DIR="$DATA" OPENPAN_LISTEN="127.0.0.1:$OURS_PORT" RUST_LOG=warn \
    OPENPAN_RATE_LIMIT__DEFAULT__PER_APP=1000000000 OPENPAN_RATE_LIMIT__DEFAULT__PER_USER=1000000000 \
    OPENPAN_RATE_LIMIT__UPLOAD__PER_APP=1000000000 OPENPAN_RATE_LIMIT__UPLOAD__PER_USER=1000000000 \
    "$@" "$BIN" serve >>"$DATA.out" 2>>"$DATA.err" &
  server_pid=$!
  wait_http "$API/"
}
stop_openpan() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }
start_openpan
CLIENT_ID=$(awk '/app client_id:/ {print $NF}' "$DATA.out")
CLIENT_SECRET=$(awk '/app client_secret:/ {print $3}' "$DATA.out")
USER_ID=$(OPENPAN_DATA_DIR="$DATA" "$BIN" admin create-user --enterprise-id 1 --name Bench --email bench@openpan.local --json | json '["user_id"]')
now=$(date +%s)
assertion=$(printf '{"yifangyun_sub_type":"user","sub":%s,"iat":%s,"exp":%s,"jti":"drive-bench-%s"}' "$USER_ID" "$now" $((now + 60)) "$now" | base64 -w0)
export BEARER; BEARER=$(curl -sf -X POST -u "$CLIENT_ID:$CLIENT_SECRET" "$API/oauth/token?grant_type=jwt_simple&assertion=$assertion" | json '["access_token"]')
auth=(-H "Authorization: Bearer $BEARER")
post() { curl -sf "${auth[@]}" -H 'Content-Type: application/json' -d "$2" "$API/api/v2/$1"; }

# Upload: the URL request, then the multipart POST that is timed (the peer's single PUT/POST).
up_mbps=()
for i in $(seq 1 "$RUNS"); do
  url=$(post file/upload_v2 "{\"parent_id\":0,\"name\":\"up-$i.bin\",\"upload_type\":\"api\"}" | json '["presign_url"]')
  out=$(curl -s -o "$BENCH_ROOT/up.json" -H 'Expect:' -F "file=@$BIG" -w '%{http_code} %{size_upload} %{time_total}' "$url")
  read -r code size t <<<"$out"
  if [ "$code" = 200 ]; then
    _row upload openpan-upload "$i" MBps "$(_mbps $((SIZE_MB * 1048576)) "$t")" MB/s "upload_v2 + multipart POST, fsync before the answer"
  else
    _row upload openpan-upload "$i" error 0 - "http $code"
  fi
  id=$(json '["id"]' <"$BENCH_ROOT/up.json")
  post "file/$id/delete" '' >/dev/null; post "file/$id/delete_from_trash" '' >/dev/null
  sync
done
_row memory openpan-peak-rss 1 MB "$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$server_pid/status")" MB "peak RSS after the upload runs"

# Download: one stored copy, one long-lived URL.
url=$(post file/upload_v2 '{"parent_id":0,"name":"big.bin","upload_type":"api"}' | json '["presign_url"]')
big_id=$(curl -sf -H 'Expect:' -F "file=@$BIG" "$url" | json '["id"]')
dl=$(curl -sf "${auth[@]}" "$API/api/v2/file/$big_id/download?valid_period=86400" | json '["download_url"]')
bench_download openpan-download "$dl"

# Listing: 1,000 files in one folder, one page.
list_id=$(post folder/create '{"name":"list","parent_id":0}' | json '["id"]')
for i in $(seq -w 1 1000); do
  post file/create_blank_file "{\"name\":\"note-$i.md\",\"type\":\"md\",\"parentFolderId\":$list_id}" >/dev/null
done
count=$(curl -sf "${auth[@]}" "$API/api/v2/folder/$list_id/children?page_capacity=1000" | json '["total_count"]')
[ "$count" = 1000 ] || { echo "listing holds $count items" >&2; exit 1; }
list_url="$API/api/v2/folder/$list_id/children?page_capacity=1000&sort_by=name&sort_direction=asc"
# Repeated listings of an unchanged folder come from the node's page cache (token, rate limit,
# access check and change counters still run per request); with the cache off every request
# renders the page from the database, as the first listing after a write does.
bench_wrk openpan-list-1000 "$list_url" bench/lua/bearer.lua
# The same folder as a collaborator sees it: invited as viewer to the folder above it, so each
# listing walks the folder's ancestors for the grants reaching them — once per page, not per row.
OWNER_BEARER=$BEARER
COLLAB_ID=$(OPENPAN_DATA_DIR="$DATA" "$BIN" admin create-user --enterprise-id 1 --name Colleague --email colleague@openpan.local --json | json '["user_id"]')
shelf_id=$(post folder/create '{"name":"shelf","parent_id":0}' | json '["id"]')
post "folder/$list_id/move" "{\"target_folder_id\":$shelf_id}" >/dev/null
post collab/invite "{\"folder_id\":$shelf_id,\"accessible_by\":{\"type\":\"user\",\"id\":$COLLAB_ID,\"role\":\"viewer\"}}" >/dev/null
assertion=$(printf '{"yifangyun_sub_type":"user","sub":%s,"iat":%s,"exp":%s,"jti":"drive-bench-collab-%s"}' "$COLLAB_ID" "$now" $((now + 60)) "$now" | base64 -w0)
COLLAB_BEARER=$(curl -sf -X POST -u "$CLIENT_ID:$CLIENT_SECRET" "$API/oauth/token?grant_type=jwt_simple&assertion=$assertion" | json '["access_token"]')
count=$(curl -sf -H "Authorization: Bearer $COLLAB_BEARER" "$list_url" | json '["total_count"]')
[ "$count" = 1000 ] || { echo "the collaborator sees $count items" >&2; exit 1; }
BEARER=$COLLAB_BEARER bench_wrk openpan-list-1000-collab "$list_url" bench/lua/bearer.lua
stop_openpan
start_openpan OPENPAN_LISTING_CACHE_MB=0
BEARER=$OWNER_BEARER bench_wrk openpan-list-1000-uncached "$list_url" bench/lua/bearer.lua
BEARER=$COLLAB_BEARER bench_wrk openpan-list-1000-collab-uncached "$list_url" bench/lua/bearer.lua
BEARER=$OWNER_BEARER

# Move: a folder holding 100 folders of 999 files (100,100 items), built straight in the database.
tree_id=$(post folder/create '{"name":"tree","parent_id":0}' | json '["id"]')
away_id=$(post folder/create '{"name":"away","parent_id":0}' | json '["id"]')
python3 - "$DATA/openpan.db" "$tree_id" "$USER_ID" <<'PY'
import sqlite3, sys, time
db, tree, user = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
con = sqlite3.connect(db, timeout=60)
now = int(time.time())
(enterprise,) = con.execute("select enterprise_id from item where item_id = ?", (tree,)).fetchone()
cols = "enterprise_id, space_kind, space_id, is_folder, parent_id, name, name_key, owner_id, created_by, modified_by, created_at, modified_at"
for f in range(100):
    name = f"dir-{f:03}"
    cur = con.execute(f"insert into item ({cols}, file_count) values (?,1,?,1,?,?,?,?,?,?,?,?,999)",
                      (enterprise, user, tree, name, name, user, user, user, now, now))
    parent = cur.lastrowid
    con.executemany(f"insert into item ({cols}) values (?,1,?,0,?,?,?,?,?,?,?,?)",
                    [(enterprise, user, parent, f"f-{i}.txt", f"f-{i}.txt", user, user, user, now, now) for i in range(999)])
con.execute("update item set folder_count = 100 where item_id = ?", (tree,))
con.commit()
PY
for i in $(seq 1 "$RUNS"); do
  for target in "$away_id" 0; do
    t=$(curl -s -o /dev/null -w '%{time_total}' "${auth[@]}" -H 'Content-Type: application/json' \
      -d "{\"target_folder_id\":$target}" "$API/api/v2/folder/$tree_id/move")
    _row move openpan-move-100k "$i" ms "$(python3 -c "print(f'{float(\"$t\") * 1000:.2f}')")" ms "POST folder/{id}/move, 100,100 items below"
  done
done
stop_openpan

echo "--- peers"
bench_dd "$BENCH_ROOT/dd"
bash "$PEERS/nginx.sh" start "$NGINX_PORT" "$WWW" >/dev/null
wait_http "http://127.0.0.1:$NGINX_PORT/big.bin"
bench_download nginx-sendfile "http://127.0.0.1:$NGINX_PORT/big.bin"
bench_wrk nginx-autoindex-json-1000 "http://127.0.0.1:$NGINX_PORT/_json/list/"
bash "$PEERS/nginx.sh" stop "$NGINX_PORT" >/dev/null

mkdir -p "$BENCH_ROOT/dufs"; cp "$BIG" "$BENCH_ROOT/dufs/big.bin"; cp -r "$WWW/list" "$BENCH_ROOT/dufs/list"
bash "$PEERS/dufs.sh" start "$DUFS_PORT" "$BENCH_ROOT/dufs" >/dev/null
wait_http "http://127.0.0.1:$DUFS_PORT/big.bin"
bench_download dufs-download "http://127.0.0.1:$DUFS_PORT/big.bin"
UPLOAD_CLEAN='rm -f "$BENCH_ROOT/dufs/up-$n.bin"' bench_upload dufs-put "http://127.0.0.1:$DUFS_PORT/up-{n}.bin"
bench_wrk dufs-json-1000 "http://127.0.0.1:$DUFS_PORT/list/?json"
bash "$PEERS/dufs.sh" stop "$DUFS_PORT" >/dev/null

mkdir -p "$BENCH_ROOT/mini"
bash "$PEERS/miniserve.sh" start "$MINI_PORT" "$BENCH_ROOT/mini" >/dev/null
wait_http "http://127.0.0.1:$MINI_PORT/"
UPLOAD_CLEAN='rm -f "$BENCH_ROOT/mini/$(basename "$BIG")"' bench_upload_form miniserve-post "http://127.0.0.1:$MINI_PORT/upload?path=/"
bash "$PEERS/miniserve.sh" stop "$MINI_PORT" >/dev/null

mkdir -p "$BENCH_ROOT/party"
bash "$PEERS/copyparty.sh" start "$PARTY_PORT" "$BENCH_ROOT/party" >/dev/null
wait_http "http://127.0.0.1:$PARTY_PORT/"
UPLOAD_CLEAN='rm -f "$BENCH_ROOT/party/up-$n.bin"' bench_upload copyparty-put "http://127.0.0.1:$PARTY_PORT/up-{n}.bin"
bash "$PEERS/copyparty.sh" stop "$PARTY_PORT" >/dev/null

echo "--- results ($RESULTS)"
python3 "$PEERS/summarize.py" "$RESULTS"
