# Sourced by scripts/test.sh and scripts/demo.sh: makes sure redis-server (which the tests
# and the demo start as real processes) and redis-benchmark (from redis-tools, used by the
# benchmarks) are installed.
#
# `ensure_redis [who]` returns at once when both are on the PATH. Otherwise, as root, it
# installs the Debian packages redis-server and redis-tools with apt-get; as another user it
# stops and names the package to install. `who` ends the error message ("the tests" by
# default).

ensure_redis() {
    local who=${1:-the tests}
    if _ensure_redis_have redis-server && _ensure_redis_have redis-benchmark; then
        return
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: redis-server and redis-benchmark are needed by $who." >&2
        echo "Install the Debian package redis-server: sudo apt-get install redis-server" >&2
        exit 1
    fi
    printf '\n==== %s ====\n' "Installing redis-server (Debian package redis-server)"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server redis-tools
    if ! _ensure_redis_have redis-server || ! _ensure_redis_have redis-benchmark; then
        echo "error: installed redis-server but redis-server/redis-benchmark are not on PATH" >&2
        exit 1
    fi
}

_ensure_redis_have() {
    command -v "$1" >/dev/null 2>&1
}
