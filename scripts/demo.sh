#!/usr/bin/env bash
# Runs the project's demo: hardy-odds (examples/odds), a live betting-odds service with its
# dashboard. It starts its own redis-server and feed simulator, prints the dashboard's URL
# (http://127.0.0.1:PORT/) and a status line every few seconds, and runs until Ctrl-C.
#
#   scripts/demo.sh             run until Ctrl-C
#   scripts/demo.sh --for 30    stop by itself after 30 seconds
#
# Other options are passed on: --port N (default 8080, a free one if taken), --matches M,
# --rate R (updates per second), --no-faults, --no-fanout. It installs redis-server first
# when missing (as scripts/test.sh does).
#
# A second instance sharing the first one's Redis (the first prints the exact command):
#   scripts/demo.sh --port 0 --join redis://127.0.0.1:PORT
# it runs no feed and no redis-server; its browsers get every match through Redis Pub/Sub.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/ensure-redis.sh
source scripts/ensure-redis.sh
ensure_redis "the demo"

exec cargo run -q -p hardy-odds -- "$@"
