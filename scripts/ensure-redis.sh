# Sourced by scripts/test.sh and scripts/demo.sh: makes sure redis-server (which the tests
# and the demo start as real processes), redis-benchmark (from redis-tools, used by the
# benchmarks) and memcached (the memcached example's test starts one) are installed.
#
# `ensure_redis [who]` returns at once when all three are on the PATH. Otherwise, as root, it
# runs apt-get update, then installs redis-server, redis-tools and memcached; as another user it
# stops and names the package to install. `who` ends the error message ("the tests" by
# default).

ensure_redis() {
    local who=${1:-the tests}
    if _ensure_redis_have redis-server && _ensure_redis_have redis-benchmark \
        && _ensure_redis_have memcached; then
        return
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: redis-server, redis-benchmark and memcached are needed by $who." >&2
        echo "Install the Debian packages: sudo apt-get install redis-server redis-tools memcached" >&2
        exit 1
    fi
    printf '\n==== %s ====\n' "Installing redis-server, redis-tools and memcached (Debian packages)"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server redis-tools memcached
    if ! _ensure_redis_have redis-server || ! _ensure_redis_have redis-benchmark \
        || ! _ensure_redis_have memcached; then
        echo "error: installed the packages but redis-server/redis-benchmark/memcached are not on PATH" >&2
        exit 1
    fi
}

_ensure_redis_have() {
    command -v "$1" >/dev/null 2>&1
}
