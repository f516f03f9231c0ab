"""Constants shared by the plugin unit tests (importable: conftest.py puts this directory on sys.path).

The fakes (``FakeClock``, ...) are in ``testkit.fakes``.
"""

TOKEN = 'test-token'
SENTINEL = 'SeNtInEl-7f3a9c-TOKEN'
