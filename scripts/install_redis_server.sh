#!/usr/bin/env bash
# A real redis-server for the tests of the shared request budget (rate_limit_store): Debian's package.
# `make units`, `make e2e` and `make bench` run this first; it does nothing when redis-server is on PATH.
# CI machines start bare and we run as root there, so apt-get is used as it is (after `apt-get update`).
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "redis-server is missing: install Debian's package redis-server (as root: apt-get update && apt-get install -y redis-server)" >&2
    exit 1
fi
echo "installing redis-server (Debian's package) for the rate_limit_store tests"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends redis-server
# The package's own service is not needed: the tests start their own servers on free ports.
if command -v service >/dev/null 2>&1; then service redis-server stop >/dev/null 2>&1 || true; fi
command -v redis-server >/dev/null
