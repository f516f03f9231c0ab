#!/usr/bin/env bash
# ansible-test sanity on a snapshot of the working tree.
#
# ansible-test resolves the real cwd, so the .build/ansible_collections/altostrat/cloud
# symlink (-> repo root) is not accepted. Instead copy every tracked + untracked,
# non-ignored file (what ansible-test would test in the repo itself) into
# .build/sanity/ansible_collections/altostrat/cloud, `git init` it so ansible-test
# lists files the same way, and run there. Extra args go to ansible-test.
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

dest=$root/.build/sanity/ansible_collections/altostrat/cloud
rm -rf "$root/.build/sanity"
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi; done \
    | tar --null -T - -cf - | tar -xf - -C "$dest"
git -C "$dest" init -q

cd "$dest"
# PYTHONPATH (set by the Makefile for pytest) must not leak into the sanity venvs.
exec env -u PYTHONPATH ansible-test sanity --python 3.11 --color no "$@"
