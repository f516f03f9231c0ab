"""Helpers for the AWX-style tests: the shipped credential type, rendered as AWX renders it."""

import os
import sys

import jinja2
import jinja2.sandbox
import yaml

from testkit.collection import COLLECTIONS, REPO
from testkit.playbook import clean_path

CREDENTIAL_TYPE = os.path.join(REPO, 'meta', 'awx_credential_type.yml')


def load_credential_type():
    with open(CREDENTIAL_TYPE) as handle:
        return yaml.safe_load(handle)


def credential_env(inputs):
    """The environment AWX injects for a credential of the shipped type with these ``inputs``.

    AWX renders each ``injectors.env`` value with a sandboxed Jinja environment whose namespace holds
    the credential's inputs (fields left empty are absent).
    """
    injectors = load_credential_type()['injectors']
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)
    namespace = {key: value for key, value in inputs.items() if value not in (None, '')}
    return {name: env.from_string(template).render(**namespace) for name, template in injectors['env'].items()}


def private_data_dir(tmp_path, playbook, credential, extravars):
    """An ansible-runner private data dir as AWX lays it out for a job: ``project/gate.yml`` (``playbook``), a local
    ``localhost``, the ``credential`` rendered by the shipped credential type into ``env/envvars`` (with a clean
    environment: this collection, no stray PATH entries) and ``env/extravars``."""
    pdd = tmp_path / 'pdd'
    for sub in ('env', 'project', 'inventory'):
        (pdd / sub).mkdir(parents=True)
    (pdd / 'project' / 'gate.yml').write_text(playbook)
    (pdd / 'inventory' / 'hosts').write_text(
        'localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    envvars = credential_env(credential)
    envvars.update({'PATH': clean_path(), 'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS, 'ANSIBLE_NOCOLOR': '1',
                    'ANSIBLE_HOME': str(tmp_path / 'ansible-home'), 'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'ansible-tmp')})
    (pdd / 'env' / 'envvars').write_text(yaml.safe_dump(envvars))
    (pdd / 'env' / 'extravars').write_text(yaml.safe_dump(extravars))
    return pdd
