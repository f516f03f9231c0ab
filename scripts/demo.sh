#!/usr/bin/env bash
# Demo: build the collection and install it as a user would (into .build/demo/collections),
# start the API emulator with tests/scenarios/demo.yml on a free port, and run
# docs/examples/gate.yml against it twice: with --check (no run is started), then for real (a
# gate that passes, a step's answer used by a later task, a gate that fails and a rescue that
# reads the failed run's logs). Always stops the emulator.
#
# Uses only the virtualenv DEMO_VENV (default .build/venv-demo, made by `make demo` from
# scripts/requirements-demo.txt): any venv with ansible-core, requests and PyYAML will do.
# Extra arguments go to both ansible-playbook runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=${DEMO_VENV:-.build/venv-demo}
[ -x "$venv/bin/ansible-playbook" ] || { echo "demo: no ansible-playbook in $venv (run: make demo)" >&2; exit 1; }
venv=$(cd "$venv" && pwd)
demo=$root/.build/demo
url_file=$demo/url
rm -rf "$demo"
mkdir -p "$demo"

# A user's environment: the demo venv first, the collection only from where it is installed
# (the Makefile's PYTHONPATH would import it from this tree), loopback never through a proxy.
unset PYTHONPATH
export PATH=$venv/bin:$PATH
export ANSIBLE_COLLECTIONS_PATH=$demo/collections
export NO_PROXY=127.0.0.1${NO_PROXY:+,$NO_PROXY} no_proxy=127.0.0.1${no_proxy:+,$no_proxy}

echo "demo: building altostrat.cloud and installing it into $ANSIBLE_COLLECTIONS_PATH"
ansible-galaxy collection build --output-path "$demo" . >/dev/null
ansible-galaxy collection install -p "$ANSIBLE_COLLECTIONS_PATH" "$demo"/altostrat-cloud-*.tar.gz >/dev/null

(cd tests && exec python -m emulator --port 0 --scenario scenarios/demo.yml --port-file "$url_file" </dev/null) &
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

runs_started() {   # how many runs the emulator has started so far
    python - "$ALTOSTRAT_API_URL/_emulator/stats" <<'PY'
import json, sys, urllib.request
print(json.load(urllib.request.build_opener(urllib.request.ProxyHandler({})).open(sys.argv[1]))["runs_created"])
PY
}

playbook=(ansible-playbook -i docs/examples/inventory.ini docs/examples/gate.yml
          -e '{"gate_smoke_test_failure_expected": true}')

echo
echo "demo: 1/2 a dry run, with --check: the gates start no run"
"${playbook[@]}" --check "$@"
started=$(runs_started)
echo "demo: runs started by the dry run: $started"
[ "$started" = 0 ] || { echo "demo: the dry run started $started run(s)" >&2; exit 1; }

echo
echo "demo: 2/2 the real run: the pre-flight gate passes; the smoke-test gate fails, as the demo intends"
echo "     (the [ERROR] and fatal lines below are that failure), and its rescue reports the failed steps"
"${playbook[@]}" "$@"
echo "demo: runs started: $(runs_started). Done: the pre-flight gate passed, the smoke-test gate failed" \
     "by design and its rescue reported the failed run's steps."
