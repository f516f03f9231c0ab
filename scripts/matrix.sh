#!/usr/bin/env bash
# The version matrix (`make matrix`): the unit tests and the end-to-end gate (tests/e2e/matrix/) on every line of
# scripts/matrix.txt, each from its own venv, then a table of the results. `scripts/matrix.sh venvs` (`make
# matrix-venvs`) only builds the venvs, with scripts/venv.sh. PYTHON<XY> (PYTHON312=...) overrides where an
# interpreter is found (scripts/matrix_python.sh); MAKE_TEST_PASSED (set by `make test`) names the checks
# already passed, so that the main line's units and sanity are not run twice.
# Every row runs even when one fails; the exit status is 1 if any step failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
root=$PWD venvs=.build/matrix-venvs logs=.build/matrix-logs
STEP_TIMEOUT=${MATRIX_STEP_TIMEOUT:-900}
done_checks=" ${MAKE_TEST_PASSED:-} "

python_of() { scripts/matrix_python.sh "$1"; }  # python_of 3.12: a real python3.12 ($PYTHON312 if set), or nothing
rows() { grep -Ev '^[[:space:]]*(#|$)' scripts/matrix.txt; }  # "<core> <Python> [words]" per line

# The venvs: one per line but the main one, and one per target=X.Y (lines whose Python is missing have none).
build_venvs() {
    local core py words target failed=0
    while read -r core py words; do
        if [[ " $words " != *" main "* ]] && [ -n "$(python_of "$py")" ]; then
            scripts/venv.sh "$venvs/core$core-py$py" "$(python_of "$py")" "scripts/requirements-core$core.txt" || failed=1
        fi
        for target in $words; do
            [[ $target == target=* ]] || continue
            target=${target#target=}
            if [ -n "$(python_of "$target")" ]; then
                scripts/venv.sh "$venvs/target-py$target" "$(python_of "$target")" \
                    "scripts/requirements-target-py$target.txt" || failed=1
            fi
        done
    done < <(rows)
    return $failed
}
if [ "${1:-}" = venvs ]; then build_venvs; exit; fi
build_venvs || exit 1

rm -rf "$logs" && mkdir -p "$logs"
# PATH without the main venv (the Makefile puts it first): each step puts its own venv first.
base_path=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$root/.venv/bin" | paste -sd: -)
table=("ansible-core|Python|units|e2e|sanity|time") failed=0

step() {  # step <log name> <venv> <command...>: run with the venv first on PATH; echo how it went
    local name=$1 venv=$2 rc passed
    shift 2
    printf '\n----- %s -----\n' "$name" >&2
    PATH=$venv/bin:$base_path timeout -k 10 "$STEP_TIMEOUT" "$@" 2>&1 | tee "$logs/$name.log" >&2
    rc=${PIPESTATUS[0]}
    passed=$(grep -Eo '[0-9]+ passed' "$logs/$name.log" | tail -n1)
    case $rc in
        0) echo "passed${passed:+ (${passed% passed})}" ;;
        124) echo "FAILED (timed out after ${STEP_TIMEOUT}s)"; return 1 ;;
        *) echo "FAILED (rc $rc)"; return 1 ;;
    esac
}
version() {  # version <venv>: "<ansible-core version> <Python version>", or nothing
    "$1/bin/python" -c 'import platform; from ansible.release import __version__; print(__version__, platform.python_version())' 2>/dev/null
}
gate() { step "$1" "$2" "$2/bin/python" -m pytest -p no:cacheprovider tests/e2e/matrix -q -n 0; }

while read -r core py words; do
    start=$SECONDS
    if [ -z "$(python_of "$py")" ]; then
        printf '\ncore %s / Python %s: SKIPPED (python%s not found)\n' "$core" "$py" "$py" >&2
        table+=("$core|$py|SKIPPED (python$py not found)|SKIPPED|-|0s")
        continue
    fi
    venv=$root/$venvs/core$core-py$py tag=core$core-py$py main=
    [[ " $words " == *" main "* ]] && venv=$root/.venv main=1
    read -r core_v py_v < <(version "$venv") || { table+=("$core|$py|FAILED (no working venv $venv)|-|-|0s"); failed=1; continue; }
    printf '\n===== ansible-core %s, Python %s (%s) =====\n' "$core_v" "$py_v" "${venv#"$root"/}" >&2
    compat=()  # ansible-core < 2.19 lacks two testing hooks the unit tests use: tests/e2e/matrix/compat.py
    [ "$(printf '%s\n' "$core" 2.19 | sort -V | head -n1)" = 2.19 ] || compat=(-p e2e.matrix.compat)
    if [ -n "$main" ] && [[ $done_checks == *" units "* ]]; then u="passed (make units)"
    else u=$(step "$tag-units" "$venv" "$venv/bin/python" -m pytest -p no:cacheprovider tests/unit -q -n 2 "${compat[@]}") || failed=1
    fi
    g=$(gate "$tag-e2e" "$venv") || failed=1
    s=-
    if [[ " $words " == *" sanity "* ]]; then s=$(step "$tag-sanity" "$venv" scripts/sanity.sh) || failed=1
    elif [ -n "$main" ]; then [[ $done_checks == *" sanity "* ]] && s="passed (make sanity)" || s="- (make sanity)"
    fi
    table+=("$core_v|$py_v|$u|$g|$s|$((SECONDS - start))s")
    for target in $words; do
        [[ $target == target=* ]] || continue
        target=${target#target=} start=$SECONDS
        if [ -z "$(python_of "$target")" ]; then
            table+=("$core_v|$py_v, modules on $target|-|SKIPPED (python$target not found)|-|0s")
            continue
        fi
        printf '\n===== ansible-core %s, Python %s, modules on Python %s =====\n' "$core_v" "$py_v" "$target" >&2
        g=$(MATRIX_TARGET_PYTHON=$root/$venvs/target-py$target/bin/python gate "$tag-target-py$target-e2e" "$venv") || failed=1
        table+=("$core_v|$py_v, modules on $target|-|$g|-|$((SECONDS - start))s")
    done
done < <(rows)

printf '\n===== matrix =====\n'
printf '%s\n' "${table[@]}" | awk -F'|' '{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
    END { for (r = 1; r <= NR; r++) { line = ""; for (i = 1; i <= 6; i++) line = line sprintf("%-" w[i] "s  ", cell[r, i]); print line } }'
printf '(logs: %s)\n' "$logs"
exit $failed
