#!/usr/bin/env bash
# scripts/venv.sh DIR PYTHON REQUIREMENTS: the one recipe for every venv (.venv, the demo's, the matrix's).
# PYTHON is an interpreter's path. DIR is made anew when missing or of another Python version; REQUIREMENTS are
# installed when newer than DIR/.installed.
set -euo pipefail
dir=$1 python=$2 reqs=$3
[ -n "$python" ] || { echo "venv: no Python for $dir (python3.11 not on PATH? or set PYTHON=...)" >&2; exit 1; }
version='import sys; print("%d.%d" % sys.version_info[:2])'
want=$("$python" -c "$version")
if [ "$("$dir/bin/python" -c "$version" 2>/dev/null)" != "$want" ]; then
    rm -rf "$dir"
    "$python" -m venv "$dir"
fi
if [ ! "$dir/.installed" -nt "$reqs" ]; then
    "$dir/bin/pip" install -q --disable-pip-version-check -r "$reqs"
    touch "$dir/.installed"
fi
