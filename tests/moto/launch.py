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

3. moto writes AddPermission's statement in its own shape: FunctionUrlAuthType (and
   InvokedViaFunctionUrl) as top-level statement keys, a bare account id as the principal,
   EventSourceToken dropped, and a PrincipalOrgID condition that overwrites SourceAccount.
   AWS writes each parameter as a condition and an account principal as
   {"AWS": "arn:aws:iam::ACCOUNT:root"}
   (https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html,
   https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html). The wrapper rewrites the
   statement moto built into AWS's shape, so tests and the demo see what AWS would return.

The first two wrappers leave the request unchanged when moto fixes the comparison itself (a
string passes straight through).

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

_original_decode_policy = lambda_policy.Policy.decode_policy

# AddPermission parameter -> (condition operator, condition key), as AWS writes them.
_CONDITIONS = [
    ("SourceArn", "ArnLike", "AWS:SourceArn"),
    ("SourceAccount", "StringEquals", "AWS:SourceAccount"),
    ("PrincipalOrgID", "StringEquals", "aws:PrincipalOrgID"),
    ("EventSourceToken", "StringEquals", "lambda:EventSourceToken"),
    ("FunctionUrlAuthType", "StringEquals", "lambda:FunctionUrlAuthType"),
    ("InvokedViaFunctionUrl", "Bool", "lambda:InvokedViaFunctionUrl"),
]


def _decode_policy(self, obj):
    request = dict(obj)
    policy = _original_decode_policy(self, obj)
    statement = policy.statements[0]
    condition = {}
    for parameter, operator, key in _CONDITIONS:
        statement.pop(parameter, None)
        if parameter in request:
            value = request[parameter]
            if isinstance(value, bool):
                value = "true" if value else "false"
            condition.setdefault(operator, {})[key] = value
    statement.pop("Condition", None)
    if condition:
        statement["Condition"] = condition
    principal = request.get("Principal")
    if isinstance(principal, str) and len(principal) == 12 and principal.isdigit():
        statement["Principal"] = {"AWS": f"arn:aws:iam::{principal}:root"}
    elif isinstance(principal, str) and principal.startswith("arn:"):
        statement["Principal"] = {"AWS": principal}
    return policy


lambda_policy.Policy.decode_policy = _decode_policy


def _exit_when_parent_goes():
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: launch.py PORT")
    threading.Thread(target=_exit_when_parent_goes, daemon=True).start()
    moto_main(["-H", "127.0.0.1", "-p", sys.argv[1]])
