# Sourced by scripts/test.sh: makes sure headless Chromium and its WebDriver (chromedriver),
# which the odds dashboard's browser test (examples/odds/tests/browser.rs) drives, are
# installed.
#
# `ensure_chromium` returns at once when both are on the PATH. Otherwise, as root, it
# installs the Debian packages chromium and chromium-driver with apt-get; as another user it
# stops and names the packages to install.

ensure_chromium() {
    if _ensure_chromium_have chromium && _ensure_chromium_have chromedriver; then
        return
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: chromium and chromedriver are needed by the dashboard's browser test." >&2
        echo "Install the Debian packages: sudo apt-get install chromium chromium-driver" >&2
        exit 1
    fi
    printf '\n==== %s ====\n' "Installing Chromium (Debian packages chromium, chromium-driver)"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver
    if ! _ensure_chromium_have chromium || ! _ensure_chromium_have chromedriver; then
        echo "error: installed chromium-driver but chromium/chromedriver are not on PATH" >&2
        exit 1
    fi
}

_ensure_chromium_have() {
    command -v "$1" >/dev/null 2>&1
}
