#!/usr/bin/env bash
# The project's one test command, used by developers and by CI (.ci/run).
#
# It runs on a fresh Debian machine: it installs redis-server and memcached (which the
# tests start as real processes; redis-tools brings redis-benchmark) and Chromium with
# chromedriver (the odds dashboard's browser test) when running as root, then checks
# formatting, lints with warnings as errors, and runs every test.
# The last lines it prints are the test runner's own summary.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

section() {
    printf '\n==== %s ====\n' "$*"
}

have() {
    command -v "$1" >/dev/null 2>&1
}

# ensure_redis: installs redis-server and memcached when missing (shared with scripts/demo.sh).
# shellcheck source=scripts/ensure-redis.sh
source scripts/ensure-redis.sh
# ensure_chromium: installs chromium and chromium-driver when missing.
# shellcheck source=scripts/ensure-chromium.sh
source scripts/ensure-chromium.sh

ensure_component() {
    local subcommand=$1 component=$2
    if cargo "$subcommand" --version >/dev/null 2>&1; then
        return
    fi
    if have rustup; then
        rustup component add "$component"
    else
        echo "error: cargo $subcommand is missing; install the $component component." >&2
        exit 1
    fi
}

ensure_rust() {
    if ! have cargo; then
        echo "error: cargo not found; install Rust (https://rustup.rs) first." >&2
        exit 1
    fi
    ensure_component fmt rustfmt
    ensure_component clippy clippy
}

if [ "${CI:-}" = "true" ]; then
    # A from-scratch build gains nothing from incremental artifacts; they cost time and disk.
    export CARGO_INCREMENTAL=0
fi
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"

section "Environment"
ensure_redis
ensure_chromium
ensure_rust
cargo --version
redis-server --version
memcached --version
chromium --version 2>/dev/null || true

section "Formatting (cargo fmt --check)"
cargo fmt --all -- --check

# --all-features everywhere: optional features (hardy-redis's serde) are linted and tested too.
section "Lints (cargo clippy, warnings are errors)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

if cargo nextest --version >/dev/null 2>&1; then
    # nextest does not run doc tests, so run those first and keep its summary last.
    section "Doc tests (cargo test --doc)"
    cargo test --workspace --all-features --doc
    section "Tests (cargo nextest)"
    cargo nextest run --workspace --all-features --no-fail-fast
else
    section "Tests (cargo test)"
    cargo test --workspace --all-features --no-fail-fast
fi
