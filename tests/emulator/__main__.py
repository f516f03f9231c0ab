"""CLI: ``PYTHONPATH=tests python -m emulator [--host H] [--port P] [--scenario F]
[--tls-cert F --tls-key F] [--port-file F] [--verbose]``.

Prints ``Altostrat API emulator listening on <url>`` once listening, writes the
URL to ``--port-file`` if given, and serves until SIGTERM/SIGINT (exit 0).
"""

import argparse
import os
import signal
import sys
import threading

from .app import Emulator


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m emulator",
                                description="Local stand-in of the Altostrat Workflows API.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    p.add_argument("--scenario", help="scenario file (.yml/.yaml/.json)")
    p.add_argument("--tls-cert", help="PEM certificate (chain) to serve HTTPS")
    p.add_argument("--tls-key", help="PEM private key for --tls-cert")
    p.add_argument("--port-file", help="write the URL to this file once listening")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    return args


def main(argv=None):
    args = parse_args(argv)
    emu = Emulator(args.scenario, port=args.port, host=args.host, tls_cert=args.tls_cert,
                   tls_key=args.tls_key, verbose=args.verbose)
    done = threading.Event()

    def on_signal(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emu.start()
    try:
        if args.port_file:
            tmp = args.port_file + ".tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(emu.url + "\n")
            os.replace(tmp, args.port_file)
        print("Altostrat API emulator listening on %s" % emu.url, flush=True)
        while not done.wait(0.5):
            pass
    finally:
        emu.stop()
        if args.port_file:
            try:
                os.unlink(args.port_file)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
