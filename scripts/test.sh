#!/usr/bin/env bash
# Runs the whole test suite. Starts a throwaway Redis (for the shared rate-limit tests) unless
# OPENPAN_TEST_REDIS_URL already names one. Set OPENPAN_TEST_DATABASE_URL=postgres://… to run
# the same suite on PostgreSQL; SQLite is used otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

redis_dir=""
cleanup() {
    if [ -n "$redis_dir" ]; then
        redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
        rm -rf "$redis_dir"
    fi
}
trap cleanup EXIT

if [ -z "${OPENPAN_TEST_REDIS_URL:-}" ]; then
        if ! command -v redis-server >/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            echo "--- installing redis-server for the shared rate-limit tests" >&2
            DEBIAN_FRONTEND=noninteractive apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
        else
            echo "redis-server is not installed (apt-get install redis-server), and OPENPAN_TEST_REDIS_URL is unset" >&2
            exit 1
        fi
    fi
    redis_dir=$(mktemp -d)
    # Ports below the kernel's ephemeral range (32768+), where the suite's own connections and
    # test servers cannot hold the port first; another port is tried if this one is taken.
    redis_up=""
    for _ in 1 2 3 4 5; do
        redis_port=$((20000 + RANDOM % 12000))
        redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$redis_dir" \
            --daemonize yes --logfile "$redis_dir/redis.log" >/dev/null || continue
        for _ in $(seq 50); do
            if redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG; then redis_up=1; break; fi
            sleep 0.1
        done
        [ -n "$redis_up" ] && break
    done
    if [ -z "$redis_up" ]; then
        echo "redis-server did not start (see $redis_dir/redis.log)" >&2
        exit 1
    fi
    export OPENPAN_TEST_REDIS_URL="redis://127.0.0.1:$redis_port"
fi

# The pages' tests: Debian's Chromium, driven by Playwright (playwright-core, which downloads
# no browser) under Node.js.
if ! command -v chromium >/dev/null || ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "--- installing chromium and npm for the browser tests" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium $(command -v npm >/dev/null || echo nodejs npm) >/dev/null
    else
        echo "the browser tests need chromium and npm (apt-get install chromium nodejs npm)" >&2
        exit 1
    fi
fi
[ -d browser/node_modules/playwright-core ] && [ -d browser/node_modules/axe-core ] || npm ci --prefix browser --no-audit --no-fund --silent
CHROMIUM="${CHROMIUM:-$(command -v chromium)}"
export CHROMIUM

cargo nextest run --workspace --no-fail-fast "$@"
