#!/usr/bin/env bash
# The version matrix (`make matrix`): the unit tests and the end-to-end gate (tests/e2e/matrix/) on every
# ansible-core line that meta/runtime.yml admits, each from its own venv, then a table of the results.
#
# The Makefile builds the venvs and passes (environment):
#   MATRIX_ROWS    "<core X.Y>:<Python X.Y> ...": one row per ansible-core line, its controller Python
#   MATRIX_MAIN    the line of the main venv (.venv): its row runs there instead of in a matrix venv
#   MATRIX_OLDEST  "<core X.Y>:<Python X.Y>": one more e2e row, that line's controller with the modules
#                  on the oldest Python it and tests/config.yml admit (a venv with only requests)
#   MATRIX_SANITY  the lines whose ansible-test sanity runs here (the main line's runs in `make sanity`)
#   MATRIX_DIR     where the venvs are (.build/matrix-venvs)
#   PYTHON<XY>     each Python's interpreter (PYTHON311, ...), empty when the machine has none:
#                  its rows are then reported SKIPPED, by name
#   MAKE_TEST_PASSED  the checks `make test` has passed before this one: the main line's units are
#                  not run twice when `units` is among them
# A venv's row is core<X.Y>-py<X.Y>; the oldest-target venv is target-py<X.Y>.
# Every row runs even when one fails; the exit status is 1 if any step failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
root=$PWD

: "${MATRIX_ROWS:?}" "${MATRIX_MAIN:?}" "${MATRIX_DIR:?}"
MATRIX_OLDEST=${MATRIX_OLDEST:-}
MATRIX_SANITY=${MATRIX_SANITY:-}
MAKE_TEST_PASSED=${MAKE_TEST_PASSED:-}
STEP_TIMEOUT=${MATRIX_STEP_TIMEOUT:-900}
logs=$root/.build/matrix-logs
rm -rf "$logs"
mkdir -p "$logs"

# PATH without the main venv (the Makefile puts it first): each row puts its own venv first.
base_path=
IFS=: read -r -a parts <<< "$PATH"
for p in "${parts[@]}"; do
    [ "${p%/}" = "$root/.venv/bin" ] || base_path=${base_path:+$base_path:}$p
done

# the pytest runs of a row (after "<venv>/bin/python"): the units on both cores, the gate's one playbook alone
pytest_units=(-m pytest -p no:cacheprovider tests/unit -q -n 2)
pytest_gate=(-m pytest -p no:cacheprovider tests/e2e/matrix -q -n 0)

python_of() {  # python_of 3.12 -> $PYTHON312 (empty if unset)
    local var=PYTHON${1//./}
    printf '%s' "${!var:-}"
}

version_lt() {  # version_lt 2.18 2.19
    [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$1" ]
}

cores=() pythons=() units=() e2e=() sanity=() seconds=() failed=0

# step <log name> <venv> <command...>: run with the venv first on PATH, tee to a log; echo the result.
step() {
    local name=$1 venv=$2 rc summary
    shift 2
    printf '\n----- %s -----\n' "$name" >&2
    PATH=$venv/bin:$base_path timeout -k 10 "$STEP_TIMEOUT" "$@" 2>&1 | tee "$logs/$name.log" >&2
    rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 0 ]; then
        summary=$(grep -Eo '[0-9]+ passed' "$logs/$name.log" | tail -n1)
        echo "passed${summary:+ (${summary% passed})}"
    elif [ "$rc" -eq 124 ]; then
        echo "FAILED (timed out after ${STEP_TIMEOUT}s)"
    else
        echo "FAILED (rc $rc)"
    fi
}

record() {  # record <ansible-core> <Python> <units> <e2e> <sanity> <seconds>
    cores+=("$1") pythons+=("$2") units+=("$3") e2e+=("$4") sanity+=("$5") seconds+=("$6")
    case "$3$4$5" in *FAILED*) failed=1 ;; esac
}

skip() {  # skip <label> <reason>: say so now, by name; the table says it again
    printf '\n%s: SKIPPED (%s)\n' "$1" "$2" >&2
}

# version <venv>: "<ansible-core version> <Python version>" of a venv, or nothing
version() {
    "$1/bin/python" -c 'import platform
from ansible.release import __version__
print(__version__, platform.python_version())' 2>/dev/null
}

in_list() { [[ " $2 " == *" $1 "* ]]; }  # in_list <word> <list>

venv_of() {  # venv_of <core> <Python>
    if [ "$1" = "$MATRIX_MAIN" ]; then echo "$root/.venv"; else echo "$root/$MATRIX_DIR/core$1-py$2"; fi
}

for row in $MATRIX_ROWS; do
    core=${row%%:*} py=${row##*:}
    label="core $core / Python $py"
    start=$SECONDS
    if [ -z "$(python_of "$py")" ]; then
        why="SKIPPED (python$py not found)"
        skip "$label" "python$py not found"
        record "$core" "$py" "$why" "$why" "$(in_list "$core" "$MATRIX_SANITY" && echo "$why" || echo -)" 0
        continue
    fi
    venv=$(venv_of "$core" "$py") tag=core$core-py$py
    if ! read -r core_v py_v < <(version "$venv"); then
        why="FAILED (no working venv $venv)"
        printf '\n%s: %s\n' "$label" "$why" >&2
        record "$core" "$py" "$why" "$why" "$(in_list "$core" "$MATRIX_SANITY" && echo "$why" || echo -)" 0
        continue
    fi
    printf '\n===== %s: ansible-core %s, Python %s (%s) =====\n' "$label" "$core_v" "$py_v" "${venv#"$root"/}" >&2

    compat=()
    if version_lt "$core" 2.19; then compat=(-p e2e.matrix.compat); fi  # see tests/e2e/matrix/compat.py
    if [ "$core" = "$MATRIX_MAIN" ] && in_list units "$MAKE_TEST_PASSED"; then
        u="passed (make units)"
    else
        u=$(step "$tag-units" "$venv" "$venv/bin/python" "${pytest_units[@]}" "${compat[@]}")
    fi
    g=$(step "$tag-e2e" "$venv" "$venv/bin/python" "${pytest_gate[@]}")
    if in_list "$core" "$MATRIX_SANITY"; then
        s=$(step "$tag-sanity" "$venv" scripts/sanity.sh)
    elif [ "$core" = "$MATRIX_MAIN" ]; then
        if in_list sanity "$MAKE_TEST_PASSED"; then s="passed (make sanity)"; else s="- (make sanity)"; fi
    else
        s=-
    fi
    record "$core_v" "$py_v" "$u" "$g" "$s" $((SECONDS - start))
done

if [ -n "$MATRIX_OLDEST" ]; then
    core=${MATRIX_OLDEST%%:*} target=${MATRIX_OLDEST##*:}
    py=
    for row in $MATRIX_ROWS; do [ "${row%%:*}" = "$core" ] && py=${row##*:}; done
    label="core $core / Python $py, modules on Python $target"
    start=$SECONDS
    venv=$(venv_of "$core" "$py") target_venv=$root/$MATRIX_DIR/target-py$target
    why=
    if [ -z "$py" ]; then
        why="core $core is not a row of the matrix"
    elif [ -z "$(python_of "$py")" ]; then
        why="python$py not found"
    elif [ -z "$(python_of "$target")" ]; then
        why="python$target not found"
    fi
    if [ -n "$why" ]; then
        skip "$label" "$why"
        record "$core" "${py:-?}, modules on $target" - "SKIPPED ($why)" - 0
    elif ! read -r core_v py_v < <(version "$venv") \
            || ! target_v=$("$target_venv/bin/python" -c 'import platform; print(platform.python_version())'); then
        why="FAILED (no working venv $venv or $target_venv)"
        printf '\n%s: %s\n' "$label" "$why" >&2
        record "$core" "$py, modules on $target" - "$why" - 0
    else
        printf '\n===== %s: ansible-core %s, Python %s, modules on Python %s (%s) =====\n' \
            "$label" "$core_v" "$py_v" "$target_v" "${target_venv#"$root"/}" >&2
        g=$(MATRIX_TARGET_PYTHON=$target_venv/bin/python \
            step "core$core-py$py-target-py$target-e2e" "$venv" "$venv/bin/python" "${pytest_gate[@]}")
        record "$core_v" "$py_v, modules on $target_v" - "$g" - $((SECONDS - start))
    fi
fi

printf '\n===== matrix =====\n'
width() {  # width <cells...>: the widest
    local n=0 c
    for c in "$@"; do [ "${#c}" -gt "$n" ] && n=${#c}; done
    echo "$n"
}
fmt="%-$(width ansible-core "${cores[@]}")s  %-$(width Python "${pythons[@]}")s  %-$(width units "${units[@]}")s"
fmt+="  %-$(width e2e "${e2e[@]}")s  %-$(width sanity "${sanity[@]}")s  %s\n"
# shellcheck disable=SC2059  # the format is built above
printf "$fmt" ansible-core Python units e2e sanity time
for i in "${!cores[@]}"; do
    # shellcheck disable=SC2059
    printf "$fmt" "${cores[$i]}" "${pythons[$i]}" "${units[$i]}" "${e2e[$i]}" "${sanity[$i]}" "${seconds[$i]}s"
done
printf '(logs: %s)\n' "${logs#"$root"/}"
exit $failed
