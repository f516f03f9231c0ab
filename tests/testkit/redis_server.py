"""A real ``redis-server`` on loopback for the tests of the shared request budget (``rate_limit_store``).

``RedisServer(workdir, password=...)``: ``start()`` (on a free port, or the port it had: a restart), ``stop()``,
``url`` (with the password), ``client()`` (a redis-py client). Persistence is off. The ``redis_server`` fixture
(``tests/conftest.py``) starts one per test and stops it at teardown.

The server is Debian's ``redis-server`` package: ``make test`` installs it when missing
(``scripts/install_redis_server.sh``); a machine without it fails these tests, naming the script.
"""

import os
import shutil
import socket
import subprocess
import time

PASSWORD = 'r3dis-Pa55-wOrd-b1e9'


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self, workdir, password=PASSWORD):
        self.workdir = str(workdir)
        self.password = password
        self.port = None
        self.proc = None
        os.makedirs(self.workdir, exist_ok=True)

    @property
    def url(self):
        return 'redis://%s127.0.0.1:%d/0' % (':%s@' % self.password if self.password else '', self.port)

    def url_with(self, password):
        return 'redis://:%s@127.0.0.1:%d/0' % (password, self.port)

    def start(self):
        binary = shutil.which('redis-server')
        assert binary, 'redis-server is not installed: run scripts/install_redis_server.sh (make test does)'
        self.port = self.port or free_port()
        command = [binary, '--port', str(self.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
                   '--dir', self.workdir, '--logfile', os.path.join(self.workdir, 'redis.log')]
        if self.password:
            command += ['--requirepass', self.password]
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            try:
                if self.client().ping():
                    return self
            except Exception:  # pylint: disable=broad-except
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError('redis-server did not start on port %d (see %s/redis.log)' % (self.port, self.workdir))
                time.sleep(0.05)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def client(self):
        import redis
        return redis.Redis(host='127.0.0.1', port=self.port, password=self.password, socket_timeout=2)
