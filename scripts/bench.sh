#!/usr/bin/env bash
# Runs the project's benchmarks, in release mode; docs/benchmarks.md records their results.
#
# 1. bench/redis-compare: hardy-redis side by side with redis-rs, fred and redis-benchmark
#    against one redis-server it starts (SET/GET at 1, 16, 128 and 512 concurrent callers;
#    about 2-3 minutes). A crate of its own, outside the workspace, so that redis-rs and
#    fred stay out of the workspace's build; see its src/main.rs for the BENCH_*
#    environment variables of a reduced run.
# 2. hardy-supervisor's otp_compare: the supervisor against Erlang/OTP (about 15 s; the OTP
#    side runs only when `erl` is on the PATH).
# 3. hardy-odds --bench: the demo's whole pipeline (feed → worker → SSE, with storage) at
#    1,000 matches, stepping the rate up; p50/p99 feed-to-SSE latency at 10,000/s (about
#    1 minute).
#
# Both want a quiet machine: other work on the same cores moves the figures by ±20 % or
# more. Installs redis-server and redis-benchmark first when missing (as scripts/test.sh).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/ensure-redis.sh
source scripts/ensure-redis.sh
ensure_redis "the benchmarks"

printf '\n==== %s ====\n' "Redis: hardy-redis, redis-rs, fred, redis-benchmark"
cargo run --release --manifest-path bench/redis-compare/Cargo.toml

printf '\n==== %s ====\n' "Supervisor: hardy-supervisor against Erlang/OTP"
cargo bench -p hardy-supervisor --bench otp_compare

printf '\n==== %s ====\n' "The odds demo's pipeline (hardy-odds --bench)"
cargo run --release -p hardy-odds -- --bench
