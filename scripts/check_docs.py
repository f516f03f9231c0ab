#!/usr/bin/env python
"""Docs check for altostrat.cloud.

1. For every module (plugins/modules), lookup (plugins/lookup) and filter (plugins/filter: one
   filter per file, named after it) plugin, run `ansible-doc -t <type> altostrat.cloud.<name>` and
   fail if it errors, cannot find the plugin, or renders without its page heading (the FQCN and the
   file it documents), an EXAMPLES section or, for a filter, a RETURN VALUES section; for every role
   (roles/*/meta/argument_specs.yml), `ansible-doc -t role` must render its entry point.
   (ansible-doc exits 0 even when the plugin is missing, so its output is checked.)
   Filters are also listed (`ansible-doc -t filter -l --json altostrat.cloud`): the plugin loader
   must find exactly the filters the files name, each documented, with nothing on stderr (as
   ansible-test's ansible-doc sanity test wants).
2. `antsibull-docs lint-collection-docs --plugin-docs .` (markup, references, schema), in an
   environment where the only altostrat.cloud it can find is its own copy of this tree: given a
   second one (the .build tree through ANSIBLE_COLLECTIONS_PATH or PYTHONPATH), it writes each
   plugin's "edit on GitHub" link relative to that one, so the link holds the path of its temporary
   copy, and one run in ~40 fails when that directory's random name ends in "_" (reST then
   reads `antsibull-docs-xxxx_` as a reference to an unknown target).

3. The README lists the make targets as `make help` prints them.

Needs ANSIBLE_COLLECTIONS_PATH pointing at a dir containing
ansible_collections/altostrat/cloud (the Makefile sets this to .build).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = "altostrat.cloud"
PLUGIN_DIRS = {"module": "plugins/modules", "lookup": "plugins/lookup", "filter": "plugins/filter"}
# Sections a page must have, by plugin type (roles: an entry point, checked apart).
SECTIONS = {"module": ("EXAMPLES",), "lookup": ("EXAMPLES",), "filter": ("EXAMPLES", "RETURN VALUES")}
# Only diagnostics emitted by ansible-doc itself, not words inside a plugin's own docs.
BAD_LINE = re.compile(r"^\s*(\[ERROR\]|ERROR[!:]|\[WARNING\]:.*not found)|\bwas not found\b", re.M)


def plugins():
    for ptype, rel in PLUGIN_DIRS.items():
        for path in sorted((ROOT / rel).rglob("*.py")):
            if path.name != "__init__.py":
                yield ptype, path.stem
    for spec in sorted(ROOT.glob("roles/*/meta/argument_specs.yml")):
        yield "role", spec.parent.parent.name


def heading(ptype, name):
    """The first line of the page ansible-doc renders for a plugin: `> FILTER altostrat.cloud.step (<path>)`
    (ansible-core 2.16 to 2.18: `> ALTOSTRAT.CLOUD.STEP    (<path>)`), naming the file it documents."""
    fqcn = re.escape(f"{NAMESPACE}.{name}")
    source = re.escape(f"{PLUGIN_DIRS[ptype]}/{name}.")  # .py, or a .yml sidecar
    return re.compile(rf"^> (?:{ptype} )?{fqcn}\s+\(.*{source}(?:py|ya?ml)\)$", re.M | re.I)


def check_ansible_doc(ptype, name):
    fqcn = f"{NAMESPACE}.{name}"
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(["ansible-doc", "-t", ptype, fqcn], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    out = proc.stdout
    problems = []
    if proc.returncode != 0:
        problems.append(f"exit code {proc.returncode}")
    if fqcn.lower() not in out.lower():  # ansible-core 2.16 to 2.18 write it in capitals
        problems.append(f"output does not mention {fqcn}")
    if ptype != "role" and not heading(ptype, name).search(out):
        problems.append(f"no page heading for {fqcn} from {PLUGIN_DIRS[ptype]}/{name}.py")
    for section in SECTIONS.get(ptype, ()):
        if not re.search(rf"^{section}:", out, re.M):
            problems.append(f"no {section} section")
    if ptype == "role" and not re.search(r"ENTRY POINT: \W*main\b", out):
        problems.append("no main entry point")
    bad = BAD_LINE.search(out)
    if bad:
        problems.append(f"diagnostic: {bad.group(0).strip()}")
    return fqcn, problems, out


def check_filter_list():
    """The plugin loader finds exactly the filters plugins/filter names, each documented, with nothing on stderr."""
    expected = sorted(f"{NAMESPACE}.{name}" for ptype, name in plugins() if ptype == "filter")
    if not expected:
        return []
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(["ansible-doc", "-t", "filter", "-l", "--json", NAMESPACE], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    problems = []
    if proc.returncode != 0:
        problems.append(f"exit code {proc.returncode}")
    if proc.stderr.strip():
        problems.append(f"stderr: {proc.stderr.strip()}")
    try:
        listed = json.loads(proc.stdout or "{}")
    except ValueError:
        return problems + [f"not JSON: {proc.stdout[:200]!r}"]
    missing = sorted(set(expected) - set(listed))
    extra = sorted(set(listed) - set(expected))
    if missing:
        problems.append(f"not found by the plugin loader: {', '.join(missing)}")
    if extra:
        problems.append(f"filters without a file of their name in plugins/filter: {', '.join(extra)}")
    undocumented = sorted(name for name, text in listed.items() if text == "UNDOCUMENTED")
    if undocumented:
        problems.append(f"undocumented: {', '.join(undocumented)}")
    return problems


def lint_collection_docs():
    """antsibull-docs' own lint, seeing no other installed copy of the collection (see the top)."""
    with tempfile.TemporaryDirectory(prefix="no-collections-") as empty:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(ANSIBLE_COLLECTIONS_PATH=empty, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
        return subprocess.run(["antsibull-docs", "lint-collection-docs", "--plugin-docs", "--check-extra-docs-refs", "."],
                              cwd=ROOT, env=env, check=False).returncode


def check_make_help():
    """The README's `make help` block is what `make help` prints now."""
    printed = subprocess.run(["make", "--no-print-directory", "-s", "help"], cwd=ROOT, check=True,
                             stdout=subprocess.PIPE, universal_newlines=True).stdout
    return printed in (ROOT / "README.md").read_text()


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

    problems = check_filter_list()
    if problems:
        failed = True
        print(f"FAIL ansible-doc -t filter -l {NAMESPACE}: {'; '.join(problems)}")
    elif any(found_type == "filter" for found_type, found_name in found):
        print(f"ok   ansible-doc -t filter -l {NAMESPACE}")

    print("antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs .")
    if lint_collection_docs():
        print("FAIL antsibull-docs lint-collection-docs")
        failed = True

    if check_make_help():
        print("ok   README.md lists the make targets as `make help` prints them")
    else:
        print("FAIL README.md: its `make help` block differs from what `make help` prints; paste it again")
        failed = True

    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
