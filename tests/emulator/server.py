"""HTTP(S) plumbing: a threading HTTP/1.1 keep-alive server and its handler.

The handler parses the request, records it, applies an injected fault if one
matches, and otherwise writes what ``Api.handle`` answers.  Requests under
``/_emulator/`` go to the control endpoints (control.py), unauthenticated and
not recorded.
"""

import socket
import ssl
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import control, faults
from .api import Request, error


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "AltostratEmulator/1.0"

    def version_string(self):
        return self.server_version
    timeout = 120  # idle keep-alive connections are closed after this

    # -- connection lifecycle -------------------------------------------------
    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
        super().setup()
        self.server.track(self.connection)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.untrack(self.connection)

    def abort_connection(self):
        self.close_connection = True
        try:
            self.wfile.flush()
        except (OSError, ValueError):
            pass
        try:
            self.connection.close()
        except OSError:
            pass

    def log_message(self, fmt, *args):  # quiet: tests read the recorder instead
        if self.server.emulator.verbose:
            super().log_message(fmt, *args)

    # -- writing --------------------------------------------------------------
    def send_head(self, resp, length=None):
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body) if length is None else length))
        for name, value in resp.headers.items():
            self.send_header(name, str(value))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def send(self, resp):
        self.send_head(resp)
        self.wfile.write(resp.body)
        self.wfile.flush()

    # -- reading --------------------------------------------------------------
    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    # -- dispatch -------------------------------------------------------------
    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def dispatch(self):
        emu = self.server.emulator
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        body = self.read_body()
        host = self.headers.get("Host") or "%s:%d" % self.server.server_address[:2]
        req = Request(self.command, url.path, params, self.headers, body,
                      "%s://%s" % (emu.scheme, host))
        if url.path.startswith("/_emulator/"):
            self.send(control.handle(emu, req))
            return
        rec = emu.recorder.record(self.command, url.path, url.query, params,
                                  self.headers, emu.api.token_of(req) is not None,
                                  self.client_address)
        fault = emu.faults.pick(self.command, url.path, rec["arrived"])
        rec["fault"] = fault.kind if fault else None
        try:
            self.answer(emu, req, fault, rec)
        finally:
            emu.recorder.finish(rec)

    def api_answer(self, emu, req):
        try:
            return emu.api.handle(req)
        except Exception:  # a bug in the emulator: say so loudly, answer 500
            traceback.print_exc()
            return error(500, "emulator_bug", "The emulator crashed; see its stderr.")

    def answer(self, emu, req, fault, rec):
        """Write the answer. ``rec["status"]`` is set before the first byte goes
        out, so a client that has read the answer always finds it recorded
        (it stays None for drop and hang, which send no status)."""
        kind = fault.kind if fault else None
        if kind == "drop":
            faults.drop(self)
            return
        if kind == "hang":
            faults.hang(self, emu.stop_event)
            return
        if kind == "slow":
            emu.stop_event.wait(fault.delay)
        if kind in faults.REPLACING:
            if fault.spec.get("process"):
                self.api_answer(emu, req)
            if kind == "big":
                rec["status"] = int(fault.spec.get("status", 200))
                faults.write_big(self, fault)
                return
            resp = fault.response()
        else:
            resp = self.api_answer(emu, req)
        rec["status"] = resp.status
        if kind == "truncated":
            faults.write_truncated(self, resp)
        elif kind == "drip":
            faults.write_drip(self, resp, fault.delay, emu.stop_event)
        else:
            self.send(resp)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, emulator, ssl_context=None):
        self.emulator = emulator
        self.ssl_context = ssl_context
        self._conns = set()
        self._conns_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.ssl_context is not None:
            # Handshake happens in the handler thread, not in the accept loop.
            sock = self.ssl_context.wrap_socket(sock, server_side=True,
                                                do_handshake_on_connect=False)
        return sock, addr

    def track(self, conn):
        with self._conns_lock:
            self._conns.add(conn)

    def untrack(self, conn):
        with self._conns_lock:
            self._conns.discard(conn)

    def close_all_connections(self):
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        import sys
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ssl.SSLError)) and not self.emulator.verbose:
            return  # clients hanging up, failed TLS handshakes, ...
        super().handle_error(request, client_address)


def serve_in_thread(server):
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="altostrat-emulator", daemon=True)
    thread.start()
    time.sleep(0)  # let it start
    return thread
