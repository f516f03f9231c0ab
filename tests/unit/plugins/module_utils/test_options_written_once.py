"""Every option is written once, in ``_options.py``; the text that must stay static for ``ansible-doc`` and friends
(the doc fragments, the lookup's sources, the EDA source's docs, the role's argument specs, the README's table, the
AWX credential type) is held to it here: names, environment variables, types, defaults, bounds and choices."""

import ast
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.altostrat.cloud.plugins.doc_fragments import connection, wait
from ansible_collections.altostrat.cloud.plugins.module_utils._options import (
    BOUNDS, CONNECTION_ARGS, CONNECTION_OPTIONS, DEFAULTS, INI_SECTION, NOT_IN_INI, VAR_PREFIX, WAIT_ARGS, env_var)
from ansible_collections.altostrat.cloud.plugins.module_utils._progress import PROGRESS_ENV
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import KNOWN_STATUSES
from ansible_collections.altostrat.cloud.plugins.plugin_utils._run_watch import LOG_CHOICES, source_option_specs

ROOT = Path(__file__).resolve().parents[4]
SPECS = dict(CONNECTION_ARGS, **WAIT_ARGS)
FRAGMENT = dict(yaml.safe_load(connection.ModuleDocFragment.DOCUMENTATION)['options'],
                **yaml.safe_load(wait.ModuleDocFragment.DOCUMENTATION)['options'])
ENV_NAMED = re.compile(r'E\((ALTOSTRAT_[A-Z_]+)\)')


def words(option):
    return ' '.join(option['description'])


def bounds_said(text):
    """``(low, high)`` of the first 'From <low> to <high>' in ``text``, or None."""
    found = re.search(r'From (\d+(?:\.\d+)?) to (\d+(?:\.\d+)?)\b', text)
    return found and (float(found.group(1)), float(found.group(2)))


def test_the_fragments_document_every_option_and_no_other():
    assert set(FRAGMENT) == set(SPECS)


@pytest.mark.parametrize('name', sorted(SPECS))
def test_the_fragments_say_each_type_default_and_choice(name):
    doc, spec = FRAGMENT[name], SPECS[name]
    assert doc['type'] == spec['type'], name
    assert doc.get('default') == spec.get('default'), name
    assert doc.get('choices') == spec.get('choices'), name
    assert doc.get('elements') == spec.get('elements'), name


@pytest.mark.parametrize('name', sorted(CONNECTION_OPTIONS))
def test_the_fragment_names_each_environment_variable(name):
    assert ENV_NAMED.findall(words(FRAGMENT[name]))[:1] == [env_var(name)]


@pytest.mark.parametrize('name', sorted(BOUNDS))
def test_the_fragments_say_each_bound(name):
    assert bounds_said(words(FRAGMENT[name])) == BOUNDS[name], name


def test_the_lookup_reads_each_connection_option_from_its_variable_ini_key_and_environment():
    sources = yaml.safe_load(connection.ModuleDocFragment.PLUGINS)['options']
    assert set(sources) == set(CONNECTION_OPTIONS)
    for name, found in sources.items():
        expected = {'env': [{'name': env_var(name)}], 'vars': [{'name': VAR_PREFIX + name}]}
        if name not in NOT_IN_INI:
            expected['ini'] = [{'section': INI_SECTION, 'key': name}]
        assert found == expected, name


def test_the_eda_source_documents_its_arguments_as_they_are():
    tree = ast.parse((ROOT / 'extensions/eda/plugins/event_source/workflow_runs.py').read_text())
    text = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                and getattr(node.targets[0], 'id', None) == 'DOCUMENTATION')
    options = yaml.safe_load(text)['options']
    specs = source_option_specs()
    assert set(options) == set(specs)
    for name, (kind, default, env) in specs.items():
        assert options[name]['type'] == kind and options[name].get('default') == default, name
        assert ENV_NAMED.findall(words(options[name])) == ([env] if env else []), name
    assert options['logs']['choices'] == list(LOG_CHOICES) and set(LOG_CHOICES) == set(WAIT_ARGS['logs']['choices'])


def test_the_role_says_the_modules_environment_variables_defaults_and_choices():
    spec = yaml.safe_load((ROOT / 'roles/workflow_gate/meta/argument_specs.yml').read_text())['argument_specs']['main']
    named = ENV_NAMED.findall(' '.join(spec['description']))
    assert named and set(named) <= set(env for _unused, _unused, env in CONNECTION_OPTIONS.values())
    role = spec['options']
    for option, doc in role.items():
        name = option[len('workflow_gate_'):]
        if name in SPECS:
            assert doc['type'] == SPECS[name]['type'], option
            if SPECS[name].get('choices'):
                assert doc.get('choices') == SPECS[name]['choices'], option
        if name in CONNECTION_OPTIONS and name != 'token':
            assert ENV_NAMED.findall(words(doc)) == [env_var(name)], option
    assert role['workflow_gate_timeout']['default'] == DEFAULTS['wait_timeout']
    assert role['workflow_gate_expected_status']['choices'] == list(KNOWN_STATUSES)
    defaults = yaml.safe_load((ROOT / 'roles/workflow_gate/defaults/main.yml').read_text())
    assert defaults['workflow_gate_timeout'] == DEFAULTS['wait_timeout']
    assert defaults['workflow_gate_on_interaction'] == DEFAULTS['on_interaction']


def readme_table():
    """``{option: (default as written, where else as written)}`` from the README's options table."""
    text = (ROOT / 'README.md').read_text()
    table = text[text.index('## Options at a glance'):]
    rows = {}
    for line in table.splitlines()[4:]:
        if not line.startswith('| `'):
            break
        names, default, where = [cell.strip() for cell in line.strip('|').split(' | ')]
        names = [name.strip('` ') for name in names.split(' / ')]
        defaults = default.split(' / ') if len(names) > 1 else [default]
        for index, name in enumerate(names):
            rows[name] = (defaults[index], where)
    return rows


def test_the_readme_table_has_every_option_with_its_default_and_environment_variable():
    rows = readme_table()
    assert set(rows) == set(SPECS)
    for name, (default, where) in rows.items():
        shown = re.findall(r'`([^`]*)`', default)
        if name != 'expected_status':  # its default depends on wait: said in words
            assert (yaml.safe_load(shown[0]) if shown else None) == DEFAULTS[name], name
        if name in CONNECTION_OPTIONS:
            assert env_var(name) in where, name
    named = set(re.findall(r'ALTOSTRAT_[A-Z_]+', ' '.join(where for _unused, where in rows.values())))
    assert named == set(env_var(name) for name in CONNECTION_OPTIONS)


def test_the_awx_credential_type_injects_the_modules_environment_variables():
    ctype = yaml.safe_load((ROOT / 'meta/awx_credential_type.yml').read_text())
    fields = dict((field['id'], field) for field in ctype['inputs']['fields'])
    assert ctype['injectors']['env'] and set(ctype['injectors']['env']) == set(env_var(name) for name in fields)
    assert fields['api_url']['default'] == DEFAULTS['api_url']


def test_every_environment_variable_named_anywhere_is_one_the_collection_reads():
    known = set(env for _unused, _unused, env in CONNECTION_OPTIONS.values()) | {PROGRESS_ENV}
    for folder in ('plugins', 'extensions', 'roles', 'meta', 'docs/docsite'):
        for path in (ROOT / folder).rglob('*'):
            if path.is_file() and path.suffix in ('.py', '.yml', '.yaml', '.rst', '.md'):
                assert set(re.findall(r'ALTOSTRAT_[A-Z_]*[A-Z]', path.read_text())) <= known, path
    assert set(re.findall(r'ALTOSTRAT_[A-Z_]*[A-Z]', (ROOT / 'README.md').read_text())) <= known
