#!/usr/bin/env bash
# Runs the project's demo: the custom line protocol example built on hardy's Connection.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

exec cargo run -p hardy --example line_protocol -- "$@"
