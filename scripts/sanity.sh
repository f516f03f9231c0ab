#!/usr/bin/env bash
# ansible-test sanity on a snapshot of the working tree, with the ansible-test first on PATH
# (`make sanity`: the main venv's, 2.19; `make matrix`: also 2.16's, from its matrix venv).
#
# ansible-test resolves the real cwd, so the .build/ansible_collections/altostrat/cloud
# symlink (-> repo root) is not accepted. Instead copy every tracked + untracked,
# non-ignored file (what ansible-test would test in the repo itself) into
# .build/sanity/<ansible-core X.Y>/ansible_collections/altostrat/cloud, `git init` it so
# ansible-test lists files the same way, and run there. Extra args go to ansible-test.
#
# The controller is Python 3.11. tests/config.yml declares which Pythons the modules support;
# every one of those that this ansible-test supports and this machine has (scripts/matrix_python.sh,
# so never a pyenv shim) is passed as a
# --target-python, so the multi-version tests (compile, import) check the module code on each.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

shopt -s nullglob
for f in tests/sanity/ignore-*.txt; do
    if grep -qv '^[[:space:]]*$' "$f"; then
        echo "sanity: $f is not empty; fix the findings instead of ignoring them" >&2
        exit 1
    fi
done

python scripts/ensure_get_pip.py

core=$(python -c 'from ansible.release import __version__ as v; print(".".join(v.split(".")[:2]))')
controller=3.11
# The module Pythons: what tests/config.yml's python_requires admits, among what this ansible-test supports.
declared=$(python - <<'PY'
import yaml
from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS
from ansible_test._internal.content_config import parse_python_requires
try:
    with open('tests/config.yml') as f:
        requires = ((yaml.safe_load(f) or {}).get('modules') or {}).get('python_requires', 'default')
except FileNotFoundError:
    requires = 'default'
print(' '.join(parse_python_requires(requires) if requires not in ('default', 'controller') else SUPPORTED_PYTHON_VERSIONS))
PY
)
# ansible-test also looks each one up on PATH by name (pythonX.Y): link them into a directory
# put last on PATH, so that nothing else of those installations (python3, pip) comes into view.
pythons=$root/.build/sanity/$core/pythons
rm -rf "$root/.build/sanity/$core"
mkdir -p "$pythons"
targets=(--target-python "$controller")
found=() missing=()
for v in $declared; do
    [ "$v" = "$controller" ] && continue
    exe=$(scripts/matrix_python.sh "$v") || exe=
    if [ -n "$exe" ]; then
        ln -s "$exe" "$pythons/python$v"
        targets+=(--target-python "$v@$pythons/python$v"); found+=("$v")
    else
        missing+=("$v")
    fi
done
export PATH=$PATH:$pythons
echo "sanity: ansible-core $core, controller Python $controller; module code also on: ${found[*]:-none}${missing[*]:+ (declared, not on this machine: ${missing[*]})}"

dest=$root/.build/sanity/$core/ansible_collections/altostrat/cloud
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi; done \
    | tar --null -T - -cf - | tar -xf - -C "$dest"
git -C "$dest" init -q

cd "$dest"
# PYTHONPATH (set by the Makefile for pytest) must not leak into the sanity venvs.
exec env -u PYTHONPATH ansible-test sanity --controller "origin:python=$controller" "${targets[@]}" --color no "$@"
