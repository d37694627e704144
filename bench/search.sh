#!/usr/bin/env bash
# Item search over 100,000 items in one personal space (9,000 folders, 91,000 files named from a
# Chinese and English vocabulary, 300 of them real text uploads searched by content), against
# dufs searching the same names in the same tree on disk (`GET /?q=`), in the same run.
# Measures: latency (p50/p99) and throughput at 8 connections for name, content, broad and
# sorted queries; and the first search after a write to the 100,000-item space, which catches
# the index up (one read of the space, the changed documents rewritten).
#
#   bash bench/search.sh            # results table at the end; raw rows in $BENCH_ROOT
#
# Env: WRK_RUNS (3), WRK_DURATION (10s), WRK_CONNS (8), ITEMS (100000).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PEERS="${PEERS:-$ROOT/../shared/bench/peers}"
# shellcheck source=/dev/null
source "$ROOT/bench/work-dir.sh"
BENCH_ROOT=$(bench_work_dir search)
export BENCH_ROOT
export RESULTS="$BENCH_ROOT/results.tsv"
export WRK_CONNS="${WRK_CONNS:-8}"
ITEMS="${ITEMS:-100000}"
# shellcheck source=/dev/null
source "$PEERS/bench-lib.sh"
: >"$RESULTS"
PORT=18096; DUFS_PORT=18097

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bash "$PEERS/dufs.sh" install >/dev/null
start_bench_server "$PORT" \
  OPENPAN_RATE_LIMIT__DEFAULT__PER_APP=1000000000 OPENPAN_RATE_LIMIT__DEFAULT__PER_USER=1000000000 \
  OPENPAN_RATE_LIMIT__SEARCH__PER_APP=1000000000 OPENPAN_RATE_LIMIT__SEARCH__PER_USER=1000000000 \
  OPENPAN_RATE_LIMIT__UPLOAD__PER_APP=1000000000 OPENPAN_RATE_LIMIT__UPLOAD__PER_USER=1000000000 \
  OPENPAN_SEARCH_CATCH_UP_SECS=0 OPENPAN_SEARCH_WAIT_MS=600000
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; bash "$PEERS/dufs.sh" stop "$DUFS_PORT" >/dev/null 2>&1 || true; tidy_work "$BENCH_ROOT" || true' EXIT
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
USER_TOKEN=$(user_token search-bench)
export BEARER="$USER_TOKEN"

# 300 text files uploaded through the API (their content is what content search reads), then
# the rest of the tree written straight into the database as the API writes it (creating
# 100,000 items one request at a time would take longer than the whole benchmark), and the
# same names as files on disk for dufs.
python3 - "$API" "$USER_TOKEN" "$DATA/openpan.db" "$BENCH_ROOT/www" "$ITEMS" <<'PY'
import json, os, random, sqlite3, sys, time, urllib.request
api, token, db, www, total = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
random.seed(7)
zh = ["销售", "报告", "季度", "合同", "预算", "会议", "纪要", "项目", "计划", "财务", "审计", "客户", "供应商",
      "采购", "人事", "招聘", "培训", "产品", "设计", "研发", "测试", "发布", "市场", "运营", "总结", "方案"]
en = ["quarterly", "report", "budget", "contract", "meeting", "minutes", "roadmap", "invoice", "design",
      "review", "release", "customer", "supplier", "training", "audit", "plan", "summary", "draft", "final"]
ext = [".docx", ".xlsx", ".pdf", ".pptx", ".txt", ".md", ".png", ".zip"]
def name(i):
    words = random.sample(zh, 2) + random.sample(en, 1) if i % 2 else random.sample(en, 2) + random.sample(zh, 1)
    random.shuffle(words)
    return f"{random.choice(['2023', '2024', '2025'])}{'_'.join(words)}_{i}"
def call(path, body):
    req = urllib.request.Request(api + path, data=json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
def send(url, data):
    # One multipart part named `file`, as the platform document's curl sends it.
    body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n"
            b"Content-Type: text/plain\r\n\r\n" + data + b"\r\n--b--\r\n")
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "multipart/form-data; boundary=b"})
    return json.load(urllib.request.urlopen(req))
texts = call("/api/v2/folder/create", {"name": "正文", "parent_id": 0})["id"]
for i in range(300):
    words = " ".join(random.sample(zh + en, 12))
    up = call("/api/v2/file/upload", {"parent_id": texts, "name": f"note-{i}.txt", "upload_type": "api"})
    send(up["presign_url"], f"{words} lighthouse-{i}".encode())
con = sqlite3.connect(db, timeout=60)
root = con.execute("select item_id from item where parent_id is null and space_kind = 1 and space_id = 1").fetchone()[0]
now = int(time.time())
made = 301
folders, next_id = [], con.execute("select max(item_id) from item").fetchone()[0] + 1
rows = []
def add(parent, is_folder, label, size):
    global next_id
    rows.append((next_id, 1, 1, 1, is_folder, parent, label, label.lower(), size, 1, 1, 1, now - random.randint(0, 86400 * 365), now))
    next_id += 1
    return next_id - 1
for top in range(90):
    top_id = add(root, True, name(top), 0)
    top_path = f"{www}/{rows[-1][6]}"
    folders.append((top_id, top_path))
    for sub in range(99):
        sub_id = add(top_id, True, name(top * 100 + sub), 0)
        folders.append((sub_id, f"{top_path}/{rows[-1][6]}"))
files = total - made - len(rows)
os.makedirs(www, exist_ok=True)
for folder, path in folders:
    os.makedirs(path, exist_ok=True)
for i in range(files):
    folder, path = random.choice(folders)
    label = name(10_000 + i) + random.choice(ext)
    add(folder, False, label, random.randint(1, 5_000_000))
    open(f"{path}/{label}", "wb").close()
con.executemany("insert into item (item_id, enterprise_id, space_kind, space_id, is_folder, parent_id, name, name_key, "
                "size, owner_id, created_by, modified_by, created_at, modified_at) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
con.execute("update item set folder_count = (select count(*) from item c where c.parent_id = item.item_id and c.is_folder), "
            "file_count = (select count(*) from item c where c.parent_id = item.item_id and not c.is_folder) "
            "where space_kind = 1 and space_id = 1 and is_folder")
con.execute("update item set generation = generation + 1 where item_id = ?", (root,))
con.commit()
print(con.execute("select count(*) from item where space_kind = 1 and space_id = 1 and parent_id is not null").fetchone()[0], "items")
PY
bash "$PEERS/dufs.sh" start "$DUFS_PORT" "$BENCH_ROOT/www" >/dev/null

# The first search indexes the space from scratch: time it once.
start=$(date +%s.%N)
curl -sf -H "Authorization: Bearer $USER_TOKEN" "$API/api/v2/item/search?query_words=budget" -o /dev/null
_row index search-build-100k 1 seconds "$(python3 -c "print(round($(date +%s.%N) - $start, 2))")" s "first search indexes every item"
q() { python3 -c "import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1]))" "$1"; }
total=$(curl -sf -H "Authorization: Bearer $USER_TOKEN" "$API/api/v2/item/search?query_words=$(q 销售报告)" | json '["total_count"]')
echo "销售报告 matches $total items"

bench_wrk search-name-zh "$API/api/v2/item/search?query_words=$(q 销售报告)" bench/lua/bearer.lua
bench_wrk search-name-en "$API/api/v2/item/search?query_words=quarterly%20invoice" bench/lua/bearer.lua
bench_wrk search-broad-by-name "$API/api/v2/item/search?query_words=2024&sort_by=name&sort_direction=asc" bench/lua/bearer.lua
bench_wrk search-content "$API/api/v2/item/search?query_words=lighthouse-42&query_filter=content" bench/lua/bearer.lua
bench_wrk dufs-search-name-zh "http://127.0.0.1:$DUFS_PORT/?q=$(q 销售报告)&json"
bench_wrk dufs-search-name-en "http://127.0.0.1:$DUFS_PORT/?q=quarterly&json"

# A rename in the 100,000-item space, then the first search: it catches the space up first.
file=$(curl -sf -H "Authorization: Bearer $USER_TOKEN" "$API/api/v2/item/search?query_words=lighthouse-7&query_filter=content" | json '["files"][0]["id"]')
for i in $(seq 1 5); do
  curl -sf -H "Authorization: Bearer $USER_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"name\":\"renamed-$i.txt\"}" "$API/api/v2/file/$file/update" -o /dev/null
  t=$(curl -sf -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $USER_TOKEN" "$API/api/v2/item/search?query_words=renamed-$i")
  _row catchup search-after-write-100k "$i" ms "$(python3 -c "print(round($t * 1000, 1))")" ms "rename, then the first search"
done

echo "--- results ($RESULTS)"
python3 "$PEERS/summarize.py" "$RESULTS"
