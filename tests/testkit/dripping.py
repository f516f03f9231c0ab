"""A server on loopback that answers every connection with the same bytes, ``pace`` seconds apart, one byte at a time
(``Dripping``): the status line, headers or body of an answer as slow as a server or proxy can make them."""

import socket
import threading


class Dripping:
    """``with Dripping(data, pace) as server:`` -- ``server.url``; ``server.connections`` counts the requests."""

    def __init__(self, data, pace=0.5, then=b''):
        self.data, self.pace, self.then = data, pace, then
        self.connections = 0
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.url = 'http://127.0.0.1:%d' % self.sock.getsockname()[1]

    def __enter__(self):
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        self.sock.close()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _unused = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn):
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(self.then)
                for byte in self.data:
                    if self.stop.wait(self.pace):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return
