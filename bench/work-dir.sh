# Sourced by the bench scripts: `bench_work_dir NAME` prints the directory a run works in —
# $BENCH_ROOT when the caller names one, a fresh one under /tmp otherwise — and
# `tidy_work DIR` clears a fresh one down to its figures (*.tsv, *.log) when the run ends,
# because what a run makes (blobs, databases, a 1 GiB test file) is gigabytes per run.
bench_work_dir() {
  if [ -n "${BENCH_ROOT:-}" ]; then echo "$BENCH_ROOT"; else mktemp -d "/tmp/openpan-$1-bench.XXXXXX"; fi
}
tidy_work() {
  case "$1" in
    /tmp/openpan-*-bench.*) find "$1" -mindepth 1 -maxdepth 1 ! -name '*.tsv' ! -name '*.log' -exec rm -rf {} + ;;
  esac
}
