"""A small HTTP server that misbehaves on purpose, as an attacker or a broken proxy would (raw sockets, so that it can
drip even its status line), for the end-to-end proof of issue 14.

``misbehaving_servers(token)`` (a context manager; the ``misbehaving`` fixture of ``conftest.py``) starts two:

* ``main`` on 127.0.0.1, a free port: what ``api_url`` points at; it answers ``GET /workflows/runs/<id>`` as
  ``BEHAVIOURS[<id>]`` says (a completed run for an id it does not know) and redirects every POST to itself;
* ``other`` on 127.0.0.2 (ANOTHER origin), a free port: answers ``OTHER_BODY`` (a completed run) to anything; a
  client that follows ``main``'s redirects there would open the gate.

Each server keeps every request it received (``requests``: ``Request`` tuples, wall-clock ``time.time()``, the
``Authorization`` header as sent). Every answer that would finish carries a run that *completed*: if a check the
collection promises were missing (a deadline, the origin, the run's id, repeated keys, the bounds), the gate would
open, and the test would fail. The token a server echoes is the one the client sent (``Authorization``).
"""

import collections
import contextlib
import json
import socketserver
import threading
import time

RUN_PATH = '/workflows/runs/'
OTHER_BODY = {'id': 'fl_run_ok', 'status': 'completed', 'logs': []}
HUGE = 17 * 1024 * 1024   # over the 16 MiB cap
MANY = 600000             # JSON values, over the 500,000 cap
DEEP = 500                # levels of nesting, over the 64 allowed
DRIP_FOR = 25.0           # the longest a drip goes on (far past any deadline of the tests)
LOOP_BODY = 300 * 1024 * 1024  # what a redirect of the loop says its body holds (then drips it)
DRIP = 2.0                # seconds between two bytes of a dripping status line or header (as in issue 14)
BODY_DRIP = 2.5           # ... of a dripping body: under a read timeout of 3 s; only a cut of the request ends it

Request = collections.namedtuple('Request', 'at method path query auth')


def run(run_id, status='completed', **extra):
    """A run as the API sends it, with one step."""
    body = {'id': run_id, 'workflow_id': 'fl_wf_rel', 'status': status, 'error_message': None,
            'started_at': '2026-01-01T12:00:00.000000Z', 'completed_at': '2026-01-01T12:00:05.000000Z',
            'duration_in_seconds': 5,
            'logs': [{'id': 'fl_log_1', 'node_id': 'n1', 'component_id': 'webhook', 'status': 'success',
                      'output': {'status': 200}, 'created_at': '2026-01-01T12:00:02.000000Z'}]}
    body.update(extra)
    return body


def _json(body):
    return json.dumps(body).encode()


class Exchange:
    """One request being answered: what was asked, and ways to answer, slowly or not (a wait ends with the server)."""

    def __init__(self, server, sock, method, path, query, auth):
        self.server, self.sock = server, sock
        self.method, self.path, self.query, self.auth = method, path, query, auth
        self.token = auth[len('Bearer '):] if auth.startswith('Bearer ') else ''

    def head(self, status=200, reason='OK', headers=None, length=None):
        lines = ['HTTP/1.1 %d %s' % (status, reason), 'Connection: close']
        lines += ['%s: %s' % item for item in (headers or {}).items()]
        if length is not None:
            lines.append('Content-Length: %d' % length)
        return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')

    def send(self, data):
        """Send ``data``; False once the client is gone."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def drip(self, data, every):
        """Send ``data`` one byte every ``every`` seconds (until the client or the server is gone, or DRIP_FOR seconds
        have passed: then it hangs up, so that a client that waits for it shows up as a slow task, not a stuck play)."""
        ends = time.monotonic() + DRIP_FOR
        for index in range(len(data)):
            if self.server.stopping.wait(every) or time.monotonic() > ends or not self.send(data[index:index + 1]):
                return False
        return True

    def answer(self, body, status=200, reason='OK', headers=None):
        raw = body if isinstance(body, bytes) else _json(body)
        headers = dict({'Content-Type': 'application/json'}, **(headers or {}))
        self.send(self.head(status, reason, headers, len(raw)) + raw)

    def redirect(self, location, status=302, length=0):
        """A redirect to ``location``; with ``length`` its body claims that many bytes, and then drips them."""
        if self.send(self.head(status, 'Found', {'Location': location, 'Content-Type': 'application/json'}, length)):
            self.drip(b' ' * length, BODY_DRIP)


def _drip_status(ex):
    """The status line and headers, one byte every DRIP seconds (then a completed run)."""
    raw = _json(run(ex.run_id))
    ex.drip(ex.head(length=len(raw)) + raw, DRIP)


def _drip_header(ex):
    """The status line at once, then a header that drips one byte every DRIP seconds (then a completed run)."""
    raw = _json(run(ex.run_id))
    head = ex.head(length=len(raw))
    line_end = head.index(b'\r\n') + 2
    if ex.send(head[:line_end]) and ex.drip(b'X-Slow: ' + b'z' * 40 + b'\r\n', DRIP):
        ex.send(head[line_end:] + raw)


def _drip_body(ex):
    """Head at once, then a completed run's body one byte every BODY_DRIP seconds."""
    raw = _json(run(ex.run_id))
    if ex.send(ex.head(headers={'Content-Type': 'application/json'}, length=len(raw))):
        ex.drip(raw, BODY_DRIP)


def _late(ex):
    """A completed run, after 20 s."""
    if not ex.server.stopping.wait(20):
        ex.answer(run(ex.run_id))


def _loop(ex):
    """A redirect to itself, whose body claims 300 MiB and drips them: a client reading it would stall."""
    ex.redirect(ex.path, length=LOOP_BODY)


def _hop(ex):
    """Two same-origin redirects, then a completed run: a redirect the client follows (the control case)."""
    hop = int(ex.query.partition('hop=')[2] or 0)
    if hop < 2:
        ex.redirect('%s?hop=%d' % (ex.path, hop + 1))
    else:
        ex.answer(run(ex.run_id))


def _to_other(ex):
    """A redirect to the same path on the other origin (127.0.0.2), which serves a completed run."""
    ex.redirect(ex.server.other_url + ex.path)


def _huge(ex):
    """A completed run padded with blanks to 17 MiB, with no Content-Length (cut only by reading it)."""
    raw = _json(run(ex.run_id))
    if ex.send(ex.head(headers={'Content-Type': 'application/json'}) + raw[:-1]):
        blank = b' ' * (1024 * 1024)
        for _unused in range(HUGE // len(blank)):
            if not ex.send(blank):
                return
        ex.send(raw[-1:])


def _echo_api(ex):
    """HTTP 401 whose API message echoes the token across the 300-character cut of messages."""
    ex.answer({'message': 'x' * 285 + ex.token + ' is not valid', 'code': 'unauthenticated'}, 401, 'Unauthorized')


def _echo_503(ex):
    """HTTP 503 (retried) echoing the token in the reason phrase and the API message."""
    ex.answer({'message': 'upstream refused Authorization: %s' % ex.auth}, 503, 'Bad ' + ex.token)


BEHAVIOURS = {
    'fl_run_done': lambda ex: ex.answer(run(ex.run_id)),
    'fl_run_hop': _hop,
    'fl_run_dripstatus': _drip_status,
    'fl_run_dripheader': _drip_header,
    'fl_run_dripbody': _drip_body,
    'fl_run_late': _late,
    'fl_run_loop': _loop,
    'fl_run_ok': _to_other,           # the other origin answers a completed fl_run_ok: only the origin check stops it
    'fl_run_redirother': _to_other,   # the case: the other origin answers fl_run_ok
    'fl_run_mine': lambda ex: ex.answer(run('fl_run_theirs')),
    'fl_run_dupkey': lambda ex: ex.answer(b'{"id": "fl_run_dupkey", "status": "failed", "logs": [], '
                                          b'"status": "completed"}'),
    'fl_run_deep': lambda ex: ex.answer(_json(run(ex.run_id))[:-1] + b', "x": ' + b'[' * DEEP + b']' * DEEP + b'}'),
    'fl_run_many': lambda ex: ex.answer(_json(run(ex.run_id))[:-1] + b', "x": [' + b','.join([b'0'] * MANY) + b']}'),
    'fl_run_huge': _huge,
    'fl_run_echoapi': _echo_api,
    'fl_run_echo503': _echo_503,
    'fl_run_echostatus': lambda ex: ex.answer(run(ex.run_id, status='Bearer ' + ex.token, completed_at=None)),
    'fl_run_echoerror': lambda ex: ex.answer(run(ex.run_id, status='failed',
                                                 error_message='Webhook said: Authorization: Bearer %s' % ex.token)),
}


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        reader = self.request.makefile('rb')
        try:
            line = reader.readline(65537).decode('latin-1').split()
            if len(line) != 3:
                return
            headers = {}
            while True:
                header = reader.readline(65537)
                if header in (b'\r\n', b'\n', b''):
                    break
                name, _unused, value = header.decode('latin-1').partition(':')
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get('content-length') or 0)
            if length:
                reader.read(length)
        finally:
            reader.close()
        method, (path, _unused, query) = line[0], line[1].partition('?')
        server = self.server
        server.requests.append(Request(time.time(), method, path, query, headers.get('authorization', '')))
        ex = Exchange(server, self.request, method, path, query, headers.get('authorization', ''))
        ex.run_id = path[len(RUN_PATH):] if path.startswith(RUN_PATH) else ''
        server.behave(ex)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, host, behave):
        super().__init__((host, 0), _Handler)
        self.behave = behave
        self.requests = []
        self.stopping = threading.Event()
        self.url = 'http://%s:%d' % self.server_address
        self.other_url = None

    def count(self, path=None, start=None, end=None):
        """Requests received (for ``path``; between wall-clock times ``start`` and ``end``)."""
        return sum(1 for req in self.requests if (path is None or req.path == path)
                   and (start is None or req.at >= start) and (end is None or req.at <= end))


def _main(ex):
    if ex.method != 'GET':
        ex.redirect(ex.path, status=307)  # a POST is never followed
        return
    BEHAVIOURS.get(ex.run_id, lambda ex: ex.answer(run(ex.run_id)))(ex)


@contextlib.contextmanager
def misbehaving_servers():
    """``(main, other)``: the two servers, running until the block ends."""
    other = Server('127.0.0.2', lambda ex: ex.answer(OTHER_BODY))
    main = Server('127.0.0.1', _main)
    main.other_url = other.url
    threads = [threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.1}, daemon=True)
               for server in (main, other)]
    for thread in threads:
        thread.start()
    try:
        yield main, other
    finally:
        for server in (main, other):
            server.stopping.set()
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(5)


if __name__ == '__main__':  # pragma: no cover - by hand: curl -v http://127.0.0.1:<port>/workflows/runs/fl_run_hop
    with misbehaving_servers() as (main_server, other_server):
        print(main_server.url, other_server.url)
        threading.Event().wait()
