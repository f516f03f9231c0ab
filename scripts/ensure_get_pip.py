#!/usr/bin/env python
"""Provide the pip bootstrap script ansible-test wants, when it cannot be downloaded.

ansible-test sanity bootstraps pip into its virtualenvs with a script fetched from
ci-files.testing.ansible.com and cached at ~/.ansible/test/cache/get_pip_<ver>.py.
That host is unreachable here, so -- only if the cached file is missing -- write a
stand-in that uses ensurepip and then pip-installs the requested packages from the
configured package index.

<ver> is the pip version of the ansible-test importable here, and each line pins its own
(2.19: 24.2; 2.16: 23.1.2, with older pips for Python 2.7 and 3.6 targets): a stand-in is
written for every pip version that ansible-test's python_requirements.py names.
"""
import importlib.util
import os
import re
import sys

STAND_IN = '''\
"""Offline stand-in for get-pip.py (written by altostrat.cloud scripts/ensure_get_pip.py)."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
if [a for a in args if not a.startswith("-")]:
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
'''


def pip_versions():
    spec = importlib.util.find_spec("ansible_test")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("ensure_get_pip: ansible_test is not importable (is the venv on PATH?)")
    path = os.path.join(spec.submodule_search_locations[0], "_internal", "python_requirements.py")
    with open(path, encoding="utf-8") as f:
        versions = sorted(set(re.findall(r"""\bpip=['"]([0-9][0-9.]*)['"]""", f.read())))
    if not versions:
        sys.exit(f"ensure_get_pip: cannot find the pip version in {path}")
    return versions


def ensure(version):
    cache = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % version.replace(".", "_"))
    if os.path.exists(cache):
        print(f"ensure_get_pip: using existing {cache}")
        return
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    tmp = "%s.%d.tmp" % (cache, os.getpid())  # several worktrees may write it at once
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(STAND_IN)
    os.replace(tmp, cache)
    print(f"ensure_get_pip: wrote offline stand-in {cache}")


def main():
    for version in pip_versions():
        ensure(version)


if __name__ == "__main__":
    main()
