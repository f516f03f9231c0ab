#!/usr/bin/env python
"""Docs check for altostrat.cloud.

1. For every module (plugins/modules) and lookup (plugins/lookup) plugin, run
   `ansible-doc -t <type> altostrat.cloud.<name>` and fail if it errors, cannot find
   the plugin, or renders without the plugin name or an EXAMPLES section; for every
   role (roles/*/meta/argument_specs.yml), `ansible-doc -t role` must render its entry point.
   (ansible-doc exits 0 even when the plugin is missing, so its output is checked.)
2. `antsibull-docs lint-collection-docs --plugin-docs .` (markup, references, schema), in an
   environment where the only altostrat.cloud it can find is its own copy of this tree: given a
   second one (the .build tree through ANSIBLE_COLLECTIONS_PATH or PYTHONPATH), it writes each
   plugin's "edit on GitHub" link relative to that one, so the link holds the path of its temporary
   copy, and one run in ~40 fails when that directory's random name ends in "_" (reST then
   reads `antsibull-docs-xxxx_` as a reference to an unknown target).

Needs ANSIBLE_COLLECTIONS_PATH pointing at a dir containing
ansible_collections/altostrat/cloud (the Makefile sets this to .build).
"""
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = "altostrat.cloud"
PLUGIN_DIRS = {"module": "plugins/modules", "lookup": "plugins/lookup"}
# Only diagnostics emitted by ansible-doc itself, not words inside a plugin's own docs.
BAD_LINE = re.compile(r"^\s*(\[ERROR\]|ERROR[!:]|\[WARNING\]:.*not found)|\bwas not found\b", re.M)


def plugins():
    for ptype, rel in PLUGIN_DIRS.items():
        for path in sorted((ROOT / rel).rglob("*.py")):
            if path.name != "__init__.py":
                yield ptype, path.stem
    for spec in sorted(ROOT.glob("roles/*/meta/argument_specs.yml")):
        yield "role", spec.parent.parent.name


def check_ansible_doc(ptype, name):
    fqcn = f"{NAMESPACE}.{name}"
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(["ansible-doc", "-t", ptype, fqcn], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    out = proc.stdout
    problems = []
    if proc.returncode != 0:
        problems.append(f"exit code {proc.returncode}")
    if fqcn not in out:
        problems.append(f"output does not mention {fqcn}")
    if ptype != "role" and "EXAMPLES" not in out:
        problems.append("no EXAMPLES section")
    if ptype == "role" and not re.search(r"ENTRY POINT: \W*main\b", out):
        problems.append("no main entry point")
    bad = BAD_LINE.search(out)
    if bad:
        problems.append(f"diagnostic: {bad.group(0).strip()}")
    return fqcn, problems, out


def lint_collection_docs():
    """antsibull-docs' own lint, seeing no other installed copy of the collection (see the top)."""
    with tempfile.TemporaryDirectory(prefix="no-collections-") as empty:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(ANSIBLE_COLLECTIONS_PATH=empty, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
        return subprocess.run(["antsibull-docs", "lint-collection-docs", "--plugin-docs", "--check-extra-docs-refs", "."],
                              cwd=ROOT, env=env, check=False).returncode


def main():
    failed = False
    found = list(plugins())
    print(f"ansible-doc: checking {len(found)} plugin(s)")
    for ptype, name in found:
        fqcn, problems, out = check_ansible_doc(ptype, name)
        if problems:
            failed = True
            print(f"FAIL {ptype} {fqcn}: {'; '.join(problems)}\n{out}")
        else:
            print(f"ok   {ptype} {fqcn}")

    print("antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs .")
    if lint_collection_docs():
        print("FAIL antsibull-docs lint-collection-docs")
        failed = True

    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
