"""Starts moto's server for the warden-aws tests, with one correction.

Usage: python3 moto_launcher.py -H 127.0.0.1 -p PORT   (the arguments of `moto_server`)

Correction: moto 5.2.1 to 5.2.5 answer every `RemovePermission` that carries a `RevisionId`
with `PreconditionFailedException`. The handler (`LambdaResponse.remove_permission` in
moto/awslambda/responses.py) takes the query-string value as parsed, a list such as
`["4f1c..."]`, and `Policy.del_statement` (moto/awslambda/policy.py) compares that list with
the policy's revision string, so they never match. AWS compares the strings
(https://docs.aws.amazon.com/lambda/latest/api/API_RemovePermission.html). The wrapper below
unwraps the list before the comparison; nothing else is changed.

The server also exits when its standard input closes, so it never outlives the test process
that started it, even when that process is killed.
"""

import os
import sys
import threading

from moto.awslambda.policy import Policy
from moto.server import main

_del_statement = Policy.del_statement


def _del_statement_with_string_revision(self, sid, revision=""):
    if isinstance(revision, list):
        revision = revision[0] if revision else ""
    return _del_statement(self, sid, revision)


Policy.del_statement = _del_statement_with_string_revision


def _exit_when_parent_goes():
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=_exit_when_parent_goes, daemon=True).start()
main(sys.argv[1:])
