"""The shared test kit of the collection's test suites (``<repo>/tests`` is on ``sys.path``: ``pytest.ini``).

* ``TOKEN``: the token the default emulator scenario accepts (``emulator.pytest_plugin.DEFAULT_SCENARIO``);
* ``SENTINEL``: the one token that secrecy tests look for in every output, result and message;
* ``testkit.collection``: where the repository and the ``.build`` collection tree are, Ansible's collection loader;
* ``testkit.fakes``: a fake monotonic clock, a scripted ``requests`` transport for the API client, a task's options and
  a module's arguments;
* ``testkit.waiter``: a client scripted run by run, for the waiter's tests;
* ``testkit.budget``: the request budget's tests' pieces (a test's private budget state, the slots a budget reserves);
* ``testkit.strategies``: hypothesis strategies for what a server may send;
* ``testkit.dripping``, ``testkit.redis_server``, ``testkit.eda``: a server that drips its answer, a real redis-server,
  the EDA source run as ansible-rulebook runs it;
* ``testkit.playbook``: run a REAL ``ansible-playbook`` on ``localhost`` in a private, clean environment.

The ``clock`` fixture (a ``testkit.fakes.FakeClock``) and the emulator fixtures are in ``tests/conftest.py``.
"""

TOKEN = 'test-token'
SENTINEL = 'SeNtInEl-c0ffee-5ecret-TOKEN-42'
