#!/usr/bin/env bash
# Runs hardy-redis's coverage-guided fuzzers: cargo-fuzz (libFuzzer) built with the STABLE
# toolchain and `--sanitizer none` (sanitizers need nightly; Rust code without `unsafe`
# needs none to find panics, overflows and broken invariants). See docs/reliability.md.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60); targets default to all three: resp_decoder, config_url,
# cmd_round_trip (their checks are in crates/hardy-redis/tests/fuzz_checks/mod.rs).
# FUZZ_RUNS=N stops each target after N executions instead (the figures in
# docs/reliability.md come from FUZZ_RUNS=10100000). Targets run one after the other
# under `nice`, on one core each.
#
# New interesting inputs are added to fuzz/corpus/<target>/, which is then minimised;
# commit what is left: tests/fuzz_corpus.rs replays it, and fuzz/regressions/<target>/,
# in the ordinary test suite. A crash stops the script and leaves the input in
# fuzz/artifacts/<target>/: fix the bug, then copy the input into
# fuzz/regressions/<target>/ (never minimised away).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"

seconds="${1:-60}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(resp_decoder config_url cmd_round_trip)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz from crates.io" >&2
    cargo install cargo-fuzz --locked
fi

# -O: optimised; -a: debug assertions and overflow checks on, so arithmetic overflow is a
# crash rather than a silent wrap.
flags=(--sanitizer none -O -a)
limit=(-max_total_time="$seconds")
if [ -n "${FUZZ_RUNS:-}" ]; then
    limit=(-runs="$FUZZ_RUNS")
fi

# Longest input each target is given: short inputs reach every branch and keep the rate
# of executions high on a shared 2-core machine.
max_len() {
    case "$1" in
        config_url) echo 256 ;;
        *) echo 512 ;;
    esac
}

# Keeps the smallest set of corpus inputs that still reaches every edge the whole corpus
# reaches (libFuzzer's merge, counting an edge once however often it runs): a few hundred
# small files per target, cheap to commit and to replay in the test suite.
minimise() {
    local target="$1" host minimal
    host="$(rustc -vV | sed -n 's/^host: //p')"
    minimal="$(mktemp -d)"
    nice -n 10 "target/$host/release/$1" -merge=1 -use_counters=0 "$minimal" "corpus/$target" \
        >"logs/$target-minimise.log" 2>&1
    rm -rf "corpus/$target"
    mv "$minimal" "corpus/$target"
    chmod 755 "corpus/$target"
}

mkdir -p logs
for target in "${targets[@]}"; do
    printf '\n==== %s ====\n' "$target"
    mkdir -p "corpus/$target"
    log="logs/$target.log"
    status=0
    mkdir -p "regressions/$target"
    nice -n 10 cargo fuzz run "${flags[@]}" "$target" "corpus/$target" "regressions/$target" -- \
        "${limit[@]}" -max_len="$(max_len "$target")" -print_final_stats=1 -rss_limit_mb=1024 -timeout=10 >"$log" 2>&1 \
        || status=$?
    if [ "$status" -ne 0 ]; then
        tail -n 40 "$log" >&2
        echo "$target: the fuzzer failed (exit $status); full log in fuzz/$log," \
            "the input in fuzz/artifacts/$target/" >&2
        exit "$status"
    fi
    grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' "$log"
    grep -E '^#[0-9]+ +DONE' "$log" || true
    minimise "$target"
    echo "$target: $(find "corpus/$target" -type f | wc -l) corpus entries after minimising"
done
