#!/usr/bin/env bash
# Print the path of a real Python X.Y interpreter, or nothing (exit 1) if there is none.
#
#   scripts/matrix_python.sh 3.12
#
# PYTHON<XY> (PYTHON312=...), when set, is the answer (set and empty: none). Else looks for pythonX.Y on PATH
# with the pyenv shims and venvs left out (a shim for a version that pyenv does not select fails, and
# ansible-test must not see shims), then in ~/.pyenv/versions/X.Y.*/bin/.
# Each candidate must really be X.Y; its sys.executable is printed.
set -uo pipefail
want=${1:?usage: $0 X.Y}
[[ $want =~ ^[0-9]+\.[0-9]+$ ]] || { echo "matrix_python: bad version '$want'" >&2; exit 2; }
var=PYTHON${want//./}
if [ -n "${!var+set}" ]; then [ -n "${!var}" ] && printf '%s\n' "${!var}"; exit; fi

path=
IFS=: read -r -a parts <<< "${PATH:-}"
for p in "${parts[@]}"; do
    case ${p%/} in *pyenv/shims|*pyenv-virtualenv/shims|'') continue ;; esac
    [ -f "${p%/}/../pyvenv.cfg" ] && continue  # a venv's python is not an interpreter to make venvs from
    path=${path:+$path:}$p
done

candidates=()
if found=$(PATH=$path command -v "python$want"); then candidates+=("$found"); fi
shopt -s nullglob
for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/"python$want"; do candidates+=("$p"); done

for p in "${candidates[@]}"; do
    [ -x "$p" ] || continue
    if exe=$("$p" -c "import sys; assert '%d.%d' % sys.version_info[:2] == '$want'; print(sys.executable)" 2>/dev/null) \
            && [ -n "$exe" ]; then
        printf '%s\n' "$exe"
        exit 0
    fi
done
exit 1
