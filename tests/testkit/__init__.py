"""The shared test kit of the collection's test suites (``<repo>/tests`` is on ``sys.path``: ``pytest.ini``).

* ``TOKEN``: the token the default emulator scenario accepts (``emulator.pytest_plugin.DEFAULT_SCENARIO``);
* ``SENTINEL``: the one token that secrecy tests look for in every output, result and message;
* ``testkit.collection``: where the repository and the ``.build`` collection tree are, Ansible's collection loader;
* ``testkit.fakes``: a fake monotonic clock and a scripted ``requests`` transport for the API client;
* ``testkit.playbook``: run a REAL ``ansible-playbook`` on ``localhost`` in a private, clean environment.

The ``clock`` fixture (a ``testkit.fakes.FakeClock``) and the emulator fixtures are in ``tests/conftest.py``.
"""

TOKEN = 'test-token'
SENTINEL = 'SeNtInEl-c0ffee-5ecret-TOKEN-42'
