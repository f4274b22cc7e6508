"""A counting, delaying HTTP proxy in front of moto, for bench/peers/custodian.sh.

Usage: python3 proxy.py UPSTREAM_PORT [DELAY_MS]

Listens on a free port of 127.0.0.1 (printed on the first line of standard output), forwards
every request to moto at 127.0.0.1:UPSTREAM_PORT and answers DELAY_MS (default 20) late, like
a round trip to AWS; the delays of concurrent requests overlap (one thread per connection,
and moto's server is threaded too). Every request is counted under its operation, named
SERVICE:Operation from the signature's credential scope and the X-Amz-Target header, the
Action form or query field, or Lambda's REST method and path (GET
/2015-03-31/functions/NAME/policy is lambda:GetPolicy).

Control paths, answered by the proxy itself:
  GET  /__bench/counts   {"calls": {operation: n}, "max_in_flight": n, "errors": {status: n}}
  POST /__bench/reset    clears the counts

Standard library only. Stops when its standard input closes.
"""

import http.client
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# Lambda's REST operations: (method, path pattern after the API date) -> name.
_LAMBDA = [
    ("GET", r"functions/?", "ListFunctions"),
    ("POST", r"functions/?", "CreateFunction"),
    ("GET", r"functions/[^/]+", "GetFunction"),
    ("DELETE", r"functions/[^/]+", "DeleteFunction"),
    ("GET", r"functions/[^/]+/configuration", "GetFunctionConfiguration"),
    ("PUT", r"functions/[^/]+/configuration", "UpdateFunctionConfiguration"),
    ("GET", r"functions/[^/]+/policy", "GetPolicy"),
    ("POST", r"functions/[^/]+/policy", "AddPermission"),
    ("DELETE", r"functions/[^/]+/policy/[^/]+", "RemovePermission"),
    ("GET", r"functions/[^/]+/url", "GetFunctionUrlConfig"),
    ("GET", r"functions/[^/]+/aliases", "ListAliases"),
    ("GET", r"functions/[^/]+/versions", "ListVersionsByFunction"),
    ("GET", r"functions/[^/]+/event-invoke-config", "GetFunctionEventInvokeConfig"),
    ("GET", r"functions/[^/]+/concurrency", "GetFunctionConcurrency"),
    ("GET", r"functions/[^/]+/code-signing-config", "GetFunctionCodeSigningConfig"),
    ("GET", r"tags/.+", "ListTags"),
    ("POST", r"tags/.+", "TagResource"),
    ("GET", r"layers/?", "ListLayers"),
    ("GET", r"layers/[^/]+/versions/?", "ListLayerVersions"),
    ("GET", r"layers/[^/]+/versions/[^/]+", "GetLayerVersion"),
    ("GET", r"layers/[^/]+/versions/[^/]+/policy", "GetLayerVersionPolicy"),
    ("GET", r"event-source-mappings/?", "ListEventSourceMappings"),
]
_LAMBDA = [(m, re.compile(r"/\d{4}-\d{2}-\d{2}/" + p + r"$"), n) for m, p, n in _LAMBDA]
_SCOPE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/aws4_request")

_lock = threading.Lock()
_calls = {}
_errors = {}
_in_flight = 0
_max_in_flight = 0


def operation(method, path, headers, body):
    scope = _SCOPE.search(headers.get("Authorization", ""))
    service = scope.group(1) if scope else "?"
    target = headers.get("X-Amz-Target")
    if target:
        return f"{service}:{target.rsplit('.', 1)[-1]}"
    split = urlsplit(path)
    action = parse_qs(split.query).get("Action")
    if not action and "x-www-form-urlencoded" in headers.get("Content-Type", ""):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
    if action:
        return f"{service}:{action[0]}"
    for m, pattern, name in _LAMBDA:
        if m == method and pattern.search(split.path):
            return f"{service}:{name}"
    return f"{service}:{method} {split.path}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body of an answer go out in two writes: without TCP_NODELAY the
    # second waits for the client's delayed ACK (some 40 ms on Linux) on a kept-alive connection.
    disable_nagle_algorithm = True
    upstream_port = 0
    delay = 0.02
    local = threading.local()

    def log_message(self, *args):
        pass

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _control(self):
        global _calls, _errors, _max_in_flight
        with _lock:
            if self.command == "POST" and self.path == "/__bench/reset":
                _calls, _errors, _max_in_flight = {}, {}, 0
                body = b"{}"
            else:
                body = json.dumps({"calls": _calls, "max_in_flight": _max_in_flight, "errors": _errors}).encode()
        self._answer(200, body, [("Content-Type", "application/json")])

    def _forward(self):
        global _in_flight, _max_in_flight
        body = self._body()
        if self.path.startswith("/__bench/"):
            return self._control()
        op = operation(self.command, self.path, self.headers, body)
        with _lock:
            _calls[op] = _calls.get(op, 0) + 1
            _in_flight += 1
            _max_in_flight = max(_max_in_flight, _in_flight)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("transfer-encoding", "connection")}
            headers["Content-Length"] = str(len(body))
            for attempt in (1, 2):
                conn = getattr(self.local, "conn", None)
                if conn is None:
                    conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=300)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    break
                except (http.client.HTTPException, OSError):
                    conn.close()
                    self.local.conn = None
                    if attempt == 2:
                        raise
            if resp.status >= 400:
                with _lock:
                    key = f"{op} {resp.status}"
                    _errors[key] = _errors.get(key, 0) + 1
            time.sleep(self.delay)
            skip = ("transfer-encoding", "connection", "content-length", "keep-alive")
            self._answer(resp.status, data, [(k, v) for k, v in resp.getheaders() if k.lower() not in skip])
        finally:
            with _lock:
                _in_flight -= 1

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def _exit_when_parent_goes():
    sys.stdin.read()
    os._exit(0)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: proxy.py UPSTREAM_PORT [DELAY_MS]")
    Handler.upstream_port = int(sys.argv[1])
    Handler.delay = (int(sys.argv[2]) if len(sys.argv) == 3 else 20) / 1000
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    threading.Thread(target=_exit_when_parent_goes, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
