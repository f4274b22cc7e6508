"""Starts moto's server on 127.0.0.1 for lambda-warden's tests and demo.

Usage: python3 launch.py PORT

Two corrections to moto's Lambda resource-based policy handling, so that the product's
RevisionId-guarded edits can be tested as AWS behaves:

1. moto 5.2.1 to 5.2.5 answer every RemovePermission that carries a RevisionId with
   PreconditionFailedException: the request handler passes the query-string value (a list
   such as ["a1b2..."]) to Policy.del_statement, which compares it with the policy's
   RevisionId (a string), so they never match. The wrapper below unwraps the list first.
2. moto keeps the policy's RevisionId unchanged when a statement is removed; AWS gives the
   policy a new RevisionId on every change ("A unique identifier for the current revision of
   the policy", https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html). The
   wrapper issues a new one after a successful removal, as AddPermission already does.

Both wrappers leave the request unchanged when moto fixes the comparison itself (a string
passes straight through).

The server stops when its standard input closes, so it does not outlive the test process
that started it, even when that process is killed.
"""

import os
import sys
import threading

from moto.awslambda import policy as lambda_policy
from moto.moto_api._internal import mock_random
from moto.server import main as moto_main

_original_del_statement = lambda_policy.Policy.del_statement


def _del_statement(self, sid, revision=""):
    if isinstance(revision, list):
        revision = revision[0] if revision else ""
    _original_del_statement(self, sid, revision)
    self.revision = str(mock_random.uuid4())


lambda_policy.Policy.del_statement = _del_statement


def _exit_when_parent_goes():
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: launch.py PORT")
    threading.Thread(target=_exit_when_parent_goes, daemon=True).start()
    moto_main(["-H", "127.0.0.1", "-p", sys.argv[1]])
