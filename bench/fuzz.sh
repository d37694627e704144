#!/usr/bin/env bash
# Fuzzes every parser we own with nightly `cargo fuzz` (libFuzzer): each target in fuzz/ runs
# for FUZZ_SECONDS (600) with PARALLEL targets at a time (2), then its corpus is minimised back
# into fuzz/corpus/<target>, which the stable suite replays (`fuzz_corpus::*`). A crash leaves
# its input in fuzz/artifacts/<target>/ and fails the run; once fixed, the input goes into
# fuzz/regressions/<target>/, which is replayed too and never minimised away. Figures go to
# bench/fuzz-results-<date>.tsv: target, seconds, executions, coverage, corpus size, crashes.
# FUZZ_TARGETS="a b" fuzzes only those (after a change that concerns them); their rows replace
# theirs in that day's file and the other targets' rows are kept.
# What is fuzzed is the committed HEAD, exported to a scratch directory, so edits made while it
# runs neither change the code under test nor force rebuilds.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SNAPSHOT=$(mktemp -d /tmp/openpan-fuzz-src.XXXXXX)
trap 'rm -rf "$SNAPSHOT"' EXIT
git -C "$ROOT" archive HEAD | tar -x -C "$SNAPSHOT"
export CARGO_TARGET_DIR="$ROOT/fuzz/target" ROOT
cd "$SNAPSHOT/fuzz"
SECONDS_EACH=${FUZZ_SECONDS:-600}
PARALLEL=${PARALLEL:-2}
RESULTS="$ROOT/bench/fuzz-results-$(date +%F).tsv"
LOGS=$(mktemp -d /tmp/openpan-fuzz.XXXXXX)

# cargo fuzz builds optimised with debug assertions by default, so overflows panic as they do
# in the stable replay; `--release` would turn those checks off.
cargo +nightly fuzz build
known=$(cargo +nightly fuzz list)
targets=${FUZZ_TARGETS:-$known}
# Each name once, each one a target: a typo must not fuzz nothing and report success.
targets=$(printf '%s\n' $targets | awk 'NF && !seen[$0]++')
if [ -z "$targets" ]; then echo "no target to fuzz" >&2; exit 1; fi
for target in $targets; do
  if ! grep -qx "$target" <<<"$known"; then echo "$target is not a fuzz target: $known" >&2; exit 1; fi
done

fuzz_one() {
  set -euo pipefail
  local target=$1 work="$LOGS/$1"
  mkdir -p "$work/corpus" "artifacts/$target"
  # New inputs go to a scratch corpus started from the committed corpus, the seeds and the
  # regressions; the committed corpus is replaced only by a successful minimisation.
  for set in corpus seeds regressions; do
    if [ -d "$set/$target" ]; then cp "$set/$target"/* "$work/corpus/"; fi
  done
  # A crash ends the run with a non-zero status; it is counted from the artifacts below.
  # -timeout: an input that takes seconds is a hang, and a hang is a crash.
  cargo +nightly fuzz run "$target" "$work/corpus" -- \
    -max_total_time="$SECONDS_EACH" -print_final_stats=1 -max_len=4096 -timeout=10 \
    >"$work/run.log" 2>&1 || true
  cargo +nightly fuzz cmin "$target" "$work/corpus" >"$work/cmin.log" 2>&1
  rm -rf "$ROOT/fuzz/corpus/$target.new" && mkdir "$ROOT/fuzz/corpus/$target.new"
  cp "$work/corpus"/* "$ROOT/fuzz/corpus/$target.new/"
  rm -rf "$ROOT/fuzz/corpus/$target" && mv "$ROOT/fuzz/corpus/$target.new" "$ROOT/fuzz/corpus/$target"
  if [ -n "$(ls "artifacts/$target")" ]; then
    mkdir -p "$ROOT/fuzz/artifacts/$target" && cp "artifacts/$target"/* "$ROOT/fuzz/artifacts/$target/"
  fi
  local runs cov crashes
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/run.log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$work/run.log" | tail -1 | cut -d' ' -f2)
  crashes=$(find "artifacts/$target" -type f | wc -l)
  # A run that never got going (no nightly, a build failure) must not read as a clean one.
  if [ "${runs:-0}" = 0 ]; then echo "$target did not run: see $work/run.log" >&2; exit 1; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$SECONDS_EACH" "${runs:-0}" "${cov:-0}" \
    "$(find "$ROOT/fuzz/corpus/$target" -type f | wc -l)" "$crashes" >"$work/result.tsv"
}
export -f fuzz_one
export LOGS SECONDS_EACH

printf '%s\n' $targets | xargs -P "$PARALLEL" -I{} bash -c 'fuzz_one "$1"' _ {}

{
  printf 'target\tseconds\texecutions\tcoverage\tcorpus\tcrashes\n'
  if [ -f "$RESULTS" ]; then
    awk -F'\t' -v run=" $(echo $targets) " 'NR > 1 && index(run, " " $1 " ") == 0' "$RESULTS"
  fi
  for target in $targets; do cat "$LOGS/$target/result.tsv"; done
} >"$RESULTS.new"
mv "$RESULTS.new" "$RESULTS"
column -t -s $'\t' "$RESULTS"
# Only this run's targets: a crash recorded earlier the same day is another run's.
if cat "${LOGS}"/*/result.tsv | awk -F'\t' '$6 > 0 { found = 1 } END { exit !found }'; then
  echo "crashes: see fuzz/artifacts/ and $LOGS" >&2
  exit 1
fi
