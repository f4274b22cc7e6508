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

4. moto keeps one resource-based policy and one function URL configuration per function: a
   permission added with a Qualifier lands in the function's only policy (GetPolicy then shows
   it for the function, every alias and every version), and the URL handlers ignore the
   Qualifier. AWS keeps a separate policy and URL configuration per alias and version ("Each
   alias has its own resource-based policy", and a function URL can point to an alias or the
   unpublished version: https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html,
   https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html). The wrappers keep
   them per (function, qualifier); requests without a Qualifier (or with $LATEST) go to moto
   unchanged.

5. moto's ListVersionsByFunction answers an empty list when FunctionName is an ARN (it looks
   the name up as given); AWS accepts a name or an ARN
   (https://docs.aws.amazon.com/lambda/latest/api/API_ListVersionsByFunction.html). The
   wrapper resolves an ARN to the function's name first.

6. moto's PutFunctionEventInvokeConfig appends a configuration to the function's list and
   GetFunctionEventInvokeConfig answers the first, so a second Put is never seen. AWS
   replaces the function's configuration ("If a configuration already exists for a function,
   version, or alias, this operation overwrites it",
   https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html). The
   wrapper drops the earlier configuration first.

7. moto ignores DeadLetterConfig: CreateFunction and UpdateFunctionConfiguration drop it, and
   no configuration carries it. AWS keeps it and returns it in every FunctionConfiguration
   (GetFunctionConfiguration, ListFunctions), and an empty TargetArn removes it
   (https://docs.aws.amazon.com/lambda/latest/api/API_DeadLetterConfig.html,
   https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html). The
   wrappers keep it on the function and add it to its configuration.

The first two wrappers leave the request unchanged when moto fixes the comparison itself (a
string passes straight through).

For benchmarks only: WARDEN_MOTO_LATENCY_MS=N delays every answer by N milliseconds, like a
network round trip to AWS (moto answers from this machine in a few milliseconds, one request
at a time under Python's global interpreter lock; the delay overlaps between concurrent
requests, as round trips do). Unset, nothing is delayed.

The server stops when its standard input closes, so it does not outlive the test process
that started it, even when that process is killed.
"""

import json
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


from urllib.parse import unquote

from moto.awslambda import models as lambda_models
from moto.awslambda import responses as lambda_responses
from moto.awslambda.exceptions import GenericResourcNotFound

_Backend = lambda_models.LambdaBackend
_Response = lambda_responses.LambdaResponse


def _qualifier(value):
    return None if value in (None, "", "$LATEST") else value


def _function_and_key(backend, function_name, qualifier):
    # Raises ResourceNotFoundException for an unknown function, alias or version, as AWS does.
    backend.get_function(function_name, qualifier)
    function = backend.get_function(function_name)
    return function, (function.function_name, qualifier)


def _qualified_policy(backend, function_name, qualifier):
    function, key = _function_and_key(backend, function_name, qualifier)
    policies = backend.__dict__.setdefault("_qualified_policies", {})
    if key not in policies:
        policies[key] = lambda_policy.Policy(function)
    return policies[key]


_original_add_permission = _Backend.add_permission
_original_get_policy = _Backend.get_policy
_original_remove_permission_response = _Response.remove_permission


def _add_permission(self, function_name, qualifier, raw):
    q = _qualifier(qualifier)
    if q is None:
        return _original_add_permission(self, function_name, None, raw)
    statement, _revision = _qualified_policy(self, function_name, q).add_statement(raw, q)
    return statement


def _get_policy(self, function_name, qualifier=None):
    q = _qualifier(qualifier)
    if q is None:
        return _original_get_policy(self, function_name, None)
    return _qualified_policy(self, function_name, q).wire_format()


def _remove_permission_response(self):
    q = _qualifier(self.querystring.get("Qualifier", [None])[0])
    if q is None:
        return _original_remove_permission_response(self)
    function_name = unquote(self.path.split("/")[-3])
    statement_id = self.path.split("/")[-1].split("?")[0]
    revision = self.querystring.get("RevisionId", "")
    _qualified_policy(self.backend, function_name, q).del_statement(statement_id, revision)
    return 204, {"status": 204}, "{}"


_Backend.add_permission = _add_permission
_Backend.get_policy = _get_policy
_Response.remove_permission = _remove_permission_response


class _QualifiedUrlConfig(lambda_models.FunctionUrlConfig):
    def __init__(self, function, config, arn):
        super().__init__(function=function, config=config)
        self.qualified_arn = arn

    def to_dict(self):
        d = super().to_dict()
        d["FunctionArn"] = self.qualified_arn
        return d


def _url_request(self):
    q = _qualifier(self.querystring.get("Qualifier", [None])[0])
    if q is None:
        return None, None, None
    function_name = unquote(self.path.split("/")[-2])
    function, key = _function_and_key(self.backend, function_name, q)
    urls = self.backend.__dict__.setdefault("_qualified_urls", {})
    return function, key, urls


def _url_handler(original, handle):
    def handler(self):
        function, key, urls = _url_request(self)
        if key is None:
            return original(self)
        return handle(self, function, key, urls)

    return handler


def _create_url(self, function, key, urls):
    config = _QualifiedUrlConfig(function, self.json_body, f"{function.function_arn}:{key[1]}")
    urls[key] = config
    return 201, {"status": 201}, json.dumps(config.to_dict())


def _get_url(self, function, key, urls):
    if key not in urls:
        raise GenericResourcNotFound()
    return 200, {"status": 200}, json.dumps(urls[key].to_dict())


def _update_url(self, function, key, urls):
    if key not in urls:
        raise GenericResourcNotFound()
    urls[key].update(self.json_body)
    return 200, {"status": 200}, json.dumps(urls[key].to_dict())


def _delete_url(self, function, key, urls):
    if urls.pop(key, None) is None:
        raise GenericResourcNotFound()
    return 204, {"status": 204}, "{}"


_Response.create_function_url_config = _url_handler(_Response.create_function_url_config, _create_url)
_Response.get_function_url_config = _url_handler(_Response.get_function_url_config, _get_url)
_Response.update_function_url_config = _url_handler(_Response.update_function_url_config, _update_url)
_Response.delete_function_url_config = _url_handler(_Response.delete_function_url_config, _delete_url)


_original_list_versions = _Backend.list_versions_by_function


def _list_versions_by_function(self, function_name):
    if function_name.startswith("arn:"):
        function_name = self.get_function(function_name).function_name
    return _original_list_versions(self, function_name)


_Backend.list_versions_by_function = _list_versions_by_function


_original_put_event_invoke_config = _Backend.put_function_event_invoke_config


def _put_function_event_invoke_config(self, function_name, config):
    self.get_function(function_name).event_invoke_config = []
    return _original_put_event_invoke_config(self, function_name, config)


_Backend.put_function_event_invoke_config = _put_function_event_invoke_config


_Function = lambda_models.LambdaFunction
_original_function_init = _Function.__init__
_original_get_configuration = _Function.get_configuration
_original_update_configuration = _Function.update_configuration


def _dead_letter_config(value):
    target = (value or {}).get("TargetArn") or ""
    return {"TargetArn": target} if target else None


def _function_init(self, account_id, spec, region, version=1):
    _original_function_init(self, account_id, spec, region, version)
    self.dead_letter_config = _dead_letter_config(spec.get("DeadLetterConfig"))


def _get_configuration(self, *args, **kwargs):
    config = _original_get_configuration(self, *args, **kwargs)
    dead_letter = getattr(self, "dead_letter_config", None)
    if dead_letter:
        config["DeadLetterConfig"] = dict(dead_letter)
    return config


def _update_configuration(self, config_updates):
    if "DeadLetterConfig" in config_updates:
        self.dead_letter_config = _dead_letter_config(config_updates["DeadLetterConfig"])
    return _original_update_configuration(self, config_updates)


_Function.__init__ = _function_init
_Function.get_configuration = _get_configuration
_Function.update_configuration = _update_configuration


_LATENCY_MS = int(os.environ.get("WARDEN_MOTO_LATENCY_MS", "0") or "0")
if _LATENCY_MS > 0:
    import time

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    _original_call = DomainDispatcherApplication.__call__

    def _slow_call(self, environ, start_response):
        time.sleep(_LATENCY_MS / 1000)
        return _original_call(self, environ, start_response)

    DomainDispatcherApplication.__call__ = _slow_call


def _exit_when_parent_goes():
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: launch.py PORT")
    threading.Thread(target=_exit_when_parent_goes, daemon=True).start()
    moto_main(["-H", "127.0.0.1", "-p", sys.argv[1]])
