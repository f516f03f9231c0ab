#!/usr/bin/env bash
# Demo: build and install the collection as a user would, start the API emulator with
# tests/scenarios/demo.yml on a free port, run docs/examples/gate.yml against it, and always
# stop the emulator. Expects the Makefile environment (venv on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo=$root/.build/demo
url_file=$demo/url
rm -rf "$demo"
mkdir -p "$demo"

echo "demo: building and installing altostrat.cloud into $demo/collections"
ansible-galaxy collection build --output-path "$demo" . >/dev/null
ansible-galaxy collection install --force -p "$demo/collections" "$demo"/altostrat-cloud-*.tar.gz >/dev/null
export ANSIBLE_COLLECTIONS_PATH=$demo/collections

PYTHONPATH="$root/tests${PYTHONPATH:+:$PYTHONPATH}" \
    python -m emulator --port 0 --scenario tests/scenarios/demo.yml --port-file "$url_file" </dev/null &
emu_pid=$!

stop_emulator() {
    if kill -0 "$emu_pid" 2>/dev/null; then
        kill -TERM "$emu_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$emu_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$emu_pid" 2>/dev/null || true
    fi
    wait "$emu_pid" 2>/dev/null || true
}
trap stop_emulator EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for _ in $(seq 100); do   # up to 10 s
    [ -s "$url_file" ] && break
    kill -0 "$emu_pid" 2>/dev/null || { echo "demo: emulator exited before listening" >&2; exit 1; }
    sleep 0.1
done
[ -s "$url_file" ] || { echo "demo: emulator did not write $url_file in time" >&2; exit 1; }

export ALTOSTRAT_API_URL
ALTOSTRAT_API_URL=$(head -n1 "$url_file")
export ALTOSTRAT_TOKEN=test-token
echo "demo: emulator at $ALTOSTRAT_API_URL"
ansible-playbook docs/examples/gate.yml "$@"
