#!/usr/bin/env bash
# Runs the project's demo: examples/supervised_redis.rs, a Redis connection and two workers
# in one supervision tree, through a worker crash, a redis-server death and its restart.
# It starts its own redis-server, installing it first when missing (as scripts/test.sh does).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/ensure-redis.sh
source scripts/ensure-redis.sh
ensure_redis "the demo"

exec cargo run -p hardy --example supervised_redis -- "$@"
