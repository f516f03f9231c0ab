"""ansible-builder finds the collection's Python needs in meta/execution-environment.yml.

Builds the collection tarball, installs it the way an execution environment build does, and runs
``ansible-builder introspect`` on the installed tree.
"""

import os
import shutil
import subprocess

import pytest
import yaml

from testkit.collection import REPO
from testkit.playbook import BIN


def _tool(name):
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else shutil.which(name)


@pytest.fixture
def installed(tmp_path_factory):
    galaxy = _tool('ansible-galaxy')
    if not galaxy or not _tool('ansible-builder'):
        pytest.skip('ansible-galaxy or ansible-builder not installed')
    base = tmp_path_factory.mktemp('ee')
    env = {key: value for key, value in os.environ.items() if not key.startswith('ANSIBLE_')}
    env.update(ANSIBLE_HOME=str(base / 'ansible-home'), ANSIBLE_NOCOLOR='1')
    subprocess.run([galaxy, 'collection', 'build', '--output-path', str(base / 'dist'), REPO],
                   check=True, cwd=str(base), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    tarball = os.path.join(str(base / 'dist'), os.listdir(str(base / 'dist'))[0])
    subprocess.run([galaxy, 'collection', 'install', '--offline', '--force', '-p', str(base / 'collections'), tarball],
                   check=True, cwd=str(base), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return base / 'collections'


def test_introspect_lists_requests(installed):
    root = installed / 'ansible_collections' / 'altostrat' / 'cloud'
    meta = yaml.safe_load((root / 'meta' / 'execution-environment.yml').read_text())
    assert meta['dependencies']['python'] == 'requirements.txt'
    assert 'requests' in (root / 'requirements.txt').read_text().split()
    assert any(line.startswith('redis>=') for line in (root / 'requirements.txt').read_text().split())
    assert (root / 'meta' / 'awx_credential_type.yml').is_file()
    assert (root / 'roles' / 'workflow_gate' / 'meta' / 'argument_specs.yml').is_file()

    # what ansible-builder installs into an execution environment that includes the collection
    proc = subprocess.run([_tool('ansible-builder'), 'introspect', '--sanitize', str(installed)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=True)
    data = yaml.safe_load(proc.stdout)
    python = [line.split('#')[0].strip() for line in data['python']]
    assert 'requests' in python, proc.stdout
    assert any(line.startswith('redis>=') for line in python), proc.stdout  # the rate_limit_store's client
    assert all('altostrat.cloud' in line for line in data['python']), proc.stdout
    assert not data.get('system'), proc.stdout
