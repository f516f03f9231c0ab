"""Shared option specs and the checks every task makes of them (bounds, statuses) before any request."""

import math

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._options import (
    BOUNDS, CONNECTION_ARGS, CONNECTION_OPTIONS, WAIT_ARGS, check_options)

from testkit.fakes import task_options as options


def test_connection_args_env_fallback_and_no_log():
    assert CONNECTION_ARGS['token']['no_log'] is True and CONNECTION_ARGS['rate_limit_store']['no_log'] is True
    assert not any(spec['no_log'] for name, spec in CONNECTION_ARGS.items() if name not in ('token', 'rate_limit_store'))
    assert CONNECTION_ARGS['api_url']['default'] == 'https://v1.api.altostrat.io'
    envs = dict((name, spec['fallback'][1][0]) for name, spec in CONNECTION_ARGS.items())
    assert envs == dict((name, 'ALTOSTRAT_' + name.upper()) for name in CONNECTION_OPTIONS)
    assert set(CONNECTION_OPTIONS) == set(CONNECTION_ARGS)


def test_wait_args_defaults():
    assert WAIT_ARGS['wait']['default'] is False
    assert WAIT_ARGS['wait_timeout']['default'] == 3600.0
    assert WAIT_ARGS['on_interaction']['choices'] == ['stop', 'wait', 'fail']
    assert WAIT_ARGS['logs']['choices'] == ['all', 'errors', 'none'] and WAIT_ARGS['logs']['default'] == 'all'


@pytest.mark.parametrize('name', sorted(BOUNDS))
@pytest.mark.parametrize('value', [math.nan, math.inf, -math.inf, -1, 10 ** 12, True], ids=repr)
def test_numbers_out_of_bounds_refused_by_name(name, value):
    low, high = BOUNDS[name]
    if low <= value <= high and not isinstance(value, bool):
        pytest.skip('within bounds')
    with pytest.raises(AltostratInputError) as info:
        check_options(options(**{name: value}))
    assert str(info.value).startswith(name + ' must be '), str(info.value)


@pytest.mark.parametrize('name', sorted(BOUNDS))
def test_bounds_themselves_accepted(name):
    for value in BOUNDS[name]:
        check_options(options(**{name: value}))


def test_rate_limit_names_its_range():
    with pytest.raises(AltostratInputError, match=r'rate_limit must be 0 \(off\) or a number of requests a minute up to 1000, got -1'):
        check_options(options(rate_limit=-1))


def test_defaults_within_bounds():
    defaults = dict((name, spec.get('default')) for name, spec in dict(CONNECTION_ARGS, **WAIT_ARGS).items())
    for name, (low, high) in BOUNDS.items():
        assert low <= defaults[name] <= high, name


@pytest.mark.parametrize('given, words', [
    (['complete'], "holds 'complete', which is not a run status (did you mean 'completed'?)"),
    (['completed', 'sucess'], "holds 'sucess', which is not a run status; use pending"),
    ([], 'must be a list of run statuses'),
])
def test_expected_status_typos_refused_before_the_client_exists(given, words):
    with pytest.raises(AltostratInputError) as info:
        check_options(options(expected_status=given))
    assert words in str(info.value) and '\n' not in str(info.value)
