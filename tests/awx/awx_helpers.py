"""Helpers for the AWX-style tests: the shipped credential type, rendered as AWX renders it."""

import os

import jinja2
import jinja2.sandbox
import yaml

from testkit.collection import REPO

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
