"""The shared test kit of the collection's test suites (``tests/`` is on ``sys.path``, see ``tests/conftest.py``).

* ``testkit.collection``: where the repository and the ``.build`` collection tree are, Ansible's collection loader;
* ``testkit.fakes``: a fake monotonic clock and a scripted ``requests`` transport for the API client;
* ``testkit.playbook``: run a REAL ``ansible-playbook`` on ``localhost`` in a private, clean environment.
"""
