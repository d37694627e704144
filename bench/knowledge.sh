#!/usr/bin/env bash
# Knowledge bases: training throughput per format (md, docx, pdf: MB and passages per second,
# from add_train_file until every file is done), the first retrieval over a 10,000-passage
# dataset (the index catches it up), and match-test latency at 8 connections against nginx
# serving one match answer as a static file, in the same run.
#
#   bash bench/knowledge.sh          # results table at the end; raw rows in $BENCH_ROOT
#
# Env: WRK_RUNS (3), WRK_DURATION (10s), WRK_CONNS (8), FILES (100 md files of 100 passages).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PEERS="${PEERS:-$ROOT/../shared/bench/peers}"
# shellcheck source=/dev/null
source "$ROOT/bench/work-dir.sh"
BENCH_ROOT=$(bench_work_dir knowledge)
export BENCH_ROOT
export RESULTS="$BENCH_ROOT/results.tsv"
export WRK_CONNS="${WRK_CONNS:-8}"
FILES="${FILES:-100}"
# shellcheck source=/dev/null
source "$PEERS/bench-lib.sh"
: >"$RESULTS"
PORT=18098; NGINX_PORT=18099

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bash "$PEERS/nginx.sh" install >/dev/null
start_bench_server "$PORT" \
  OPENPAN_RATE_LIMIT__DEFAULT__PER_APP=1000000000 OPENPAN_RATE_LIMIT__DEFAULT__PER_USER=1000000000 \
  OPENPAN_RATE_LIMIT__AI__PER_APP=1000000000 OPENPAN_RATE_LIMIT__AI__PER_USER=1000000000 \
  OPENPAN_RATE_LIMIT__UPLOAD__PER_APP=1000000000 OPENPAN_RATE_LIMIT__UPLOAD__PER_USER=1000000000 \
  OPENPAN_TRAIN_POLL_MS=50
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; bash "$PEERS/nginx.sh" stop "$NGINX_PORT" >/dev/null 2>&1 || true; tidy_work "$BENCH_ROOT" || true' EXIT
USER_TOKEN=$(user_token kb-bench)
export BEARER="$USER_TOKEN"

# The corpus: FILES Markdown files of 100 headed passages each (Chinese and English business
# text), 20 Word documents of 100 passages, and the PDFs LibreOffice prints of those; each set
# uploaded into its own folder, trained into its own dataset and timed.
python3 - "$API" "$USER_TOKEN" "$BENCH_ROOT" "$FILES" "$RESULTS" <<'PY'
import json, os, random, subprocess, sys, time, urllib.request
api, token, root, files, results = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
random.seed(11)
zh = ["销售", "报告", "季度", "合同", "预算", "会议", "纪要", "项目", "计划", "财务", "审计", "客户", "供应商",
      "采购", "人事", "招聘", "培训", "产品", "设计", "研发", "测试", "发布", "市场", "运营", "总结", "方案",
      "审批", "付款", "流程", "目标", "负责", "步骤", "条件"]
en = ["quarterly", "report", "budget", "contract", "meeting", "minutes", "roadmap", "invoice", "design",
      "review", "release", "customer", "supplier", "training", "audit", "plan", "summary", "findings", "payment"]
def sentence():
    if random.random() < 0.7:
        return "".join(random.sample(zh, 6)) + "需要" + "".join(random.sample(zh, 4)) + "。"
    return " ".join(random.sample(en, 8)).capitalize() + "."
def sections(n):
    return [(f"第{i + 1}节 {''.join(random.sample(zh, 2))}", " ".join(sentence() for _ in range(4))) for i in range(n)]
def call(path, body):
    req = urllib.request.Request(api + path, data=json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
def upload(folder, name, data):
    up = call("/api/v2/file/upload", {"parent_id": folder, "name": name, "upload_type": "api"})
    body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n--b--\r\n")
    req = urllib.request.Request(up["presign_url"], data=body, headers={"Content-Type": "multipart/form-data; boundary=b"})
    urllib.request.urlopen(req).read()
def row(*cells):
    with open(results, "a") as out:
        out.write("\t".join(str(c) for c in cells) + "\n")
sets = {}
md_dir = os.path.join(root, "md"); os.makedirs(md_dir, exist_ok=True)
for i in range(files):
    text = "\n\n".join(f"## {h}\n{p}" for h, p in sections(100))
    open(os.path.join(md_dir, f"制度{i}.md"), "w").write(text)
sets["md"] = sorted(os.path.join(md_dir, f) for f in os.listdir(md_dir))
docx_dir = os.path.join(root, "docx"); os.makedirs(docx_dir, exist_ok=True)
spec_path = os.path.join(root, "docx-spec.json")
with open(spec_path, "w") as spec:
    json.dump([sections(100) for _ in range(20)], spec)
subprocess.run(["python3", "-c", """
import docx, json, sys
for i, doc in enumerate(json.load(open(sys.argv[1]))):
    d = docx.Document()
    for h, p in doc:
        d.add_heading(h, 2); d.add_paragraph(p)
    d.save(f"{sys.argv[2]}/手册{i}.docx")
""", spec_path, docx_dir], check=True)
sets["docx"] = sorted(os.path.join(docx_dir, f) for f in os.listdir(docx_dir))
pdf_dir = os.path.join(root, "pdf"); os.makedirs(pdf_dir, exist_ok=True)
subprocess.run(["soffice", f"-env:UserInstallation=file://{root}/lo-profile", "--headless", "--convert-to", "pdf",
                "--outdir", pdf_dir] + sets["docx"], check=True, capture_output=True)
sets["pdf"] = sorted(os.path.join(pdf_dir, f) for f in os.listdir(pdf_dir))
datasets = {}
for kind, paths in sets.items():
    folder = call("/api/v2/folder/create", {"name": f"corpus-{kind}", "parent_id": 0})["id"]
    size = 0
    for path in paths:
        data = open(path, "rb").read(); size += len(data)
        upload(folder, os.path.basename(path), data)
    dataset = call("/api/v2/knowledge/create_data", {"name": kind})["data_id"]
    start = time.time()
    call("/api/v2/knowledge/add_train_file", {"data_id": dataset, "analysis_method": "direct_segment",
                                               "file_type": "folder", "file_id": folder,
                                               "train_params": {"segment_size": 300}})
    while True:
        tasks = call("/api/v2/knowledge/list_train_file", {"data_id": dataset, "task_type": "direct_segment"})
        task = tasks["train_file_info"][0]
        if task["state"] in ("done", "failed"):
            break
        if time.time() - start > 1800:
            sys.exit(f"training {kind} did not finish in 30 minutes: {task}")
        time.sleep(0.05)
    took = time.time() - start
    passages = call("/api/v2/knowledge/list_data_segment", {"data_id": dataset, "page_no": 1, "page_size": 1})["total"]
    print(f"{kind}: {len(paths)} files, {size / 1e6:.1f} MB, {passages} passages, {took:.1f} s, state {task['state']}")
    row("train", f"train-{kind}", 1, "MBps", f"{size / 1e6 / took:.2f}", "MB/s", f"{len(paths)} files {size / 1e6:.1f} MB")
    row("train", f"train-{kind}", 1, "passages_per_s", f"{passages / took:.0f}", "passages/s", f"{passages} passages in {took:.1f} s")
    datasets[kind] = dataset
open(os.path.join(root, "md-dataset"), "w").write(str(datasets["md"]))
PY
DATA_ID=$(cat "$BENCH_ROOT/md-dataset")
export DATA_ID

# The first match test indexes the 10,000 passages: time it once.
start=$(date +%s.%N)
curl -sf -H "Authorization: Bearer $USER_TOKEN" -H 'Content-Type: application/json' \
  -d "{\"data_id\":$DATA_ID,\"question\":\"季度预算审批\"}" "$API/api/v2/knowledge/data_match_test" -o "$BENCH_ROOT/answer.json"
_row index match-index-10k 1 seconds "$(python3 -c "print(round($(date +%s.%N) - $start, 2))")" s "first match test indexes the dataset"
mkdir -p "$BENCH_ROOT/www" && cp "$BENCH_ROOT/answer.json" "$BENCH_ROOT/www/answer.json"
bash "$PEERS/nginx.sh" start "$NGINX_PORT" "$BENCH_ROOT/www" >/dev/null

bench_wrk match-test-10k "$API/api/v2/knowledge/data_match_test" bench/lua/match.lua
bench_wrk nginx-static-answer "http://127.0.0.1:$NGINX_PORT/answer.json"

echo "--- results ($RESULTS)"
python3 "$PEERS/summarize.py" "$RESULTS"
