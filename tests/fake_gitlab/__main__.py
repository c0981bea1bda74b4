"""Command line: ``python -m tests.fake_gitlab --port 0 --seed FILE [--host 127.0.0.1] [--tls-cert PEM --tls-key PEM]``.

Prints exactly one line, ``URL=http://HOST:PORT`` (``https://`` with TLS), once listening, then
serves until SIGTERM or SIGINT and exits with status 0.
"""

import argparse
import signal
import sys
import threading

from .server import FakeGitLab
from .state import DEFAULT_SEED


def main(argv=None):
    """Run the fake until a termination signal arrives."""
    parser = argparse.ArgumentParser(prog='python -m tests.fake_gitlab', description='Fake GitLab REST API v4 server.')
    parser.add_argument('--host', default='127.0.0.1', help='address to listen on (default 127.0.0.1)')
    parser.add_argument('--port', type=int, default=0, help='port (default 0: any free port)')
    parser.add_argument('--seed', default=DEFAULT_SEED, help='seed YAML file (default: seeds/default.yml)')
    parser.add_argument('--tls-cert', help='serve HTTPS with this PEM certificate (needs --tls-key)')
    parser.add_argument('--tls-key', help='the PEM private key of --tls-cert')
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error('--tls-cert and --tls-key go together')

    stopping = threading.Event()

    def request_stop(_signum, _frame):
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    fake = FakeGitLab(seed=args.seed, host=args.host, port=args.port, tls_cert=args.tls_cert, tls_key=args.tls_key).start()
    print('URL=%s' % fake.url, flush=True)
    try:
        while not stopping.wait(0.2):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
