"""A minimal local AWS Lambda Runtime API, for benchmarks (standard library only).

Implements the runtime side of https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html:

  GET  /2018-06-01/runtime/invocation/next           the next queued event (blocks until one
                                                     is queued), with the headers
                                                     Lambda-Runtime-Aws-Request-Id,
                                                     Lambda-Runtime-Deadline-Ms,
                                                     Lambda-Runtime-Invoked-Function-Arn and
                                                     Lambda-Runtime-Trace-Id
  POST /2018-06-01/runtime/invocation/{id}/response  the function's answer (202)
  POST /2018-06-01/runtime/invocation/{id}/error     the function's error (202)
  POST /2018-06-01/runtime/init/error                an initialisation error (202)

Every event served and every answer received is stamped with time.perf_counter_ns() (the
same clock as the process that imports this module), as is each GET of the next invocation
(the first one marks the end of the runtime's initialisation).

As a module: RuntimeAPI(function_arn) starts the server on a free port of 127.0.0.1 in a
thread; invoke(event) queues an event and returns its request id; wait(request_id) returns
its Invocation once answered. As a script, for trying a runtime by hand:

  python3 runtime_api.py PORT FUNCTION_ARN EVENT.json...

serves the events in order on 127.0.0.1:PORT and prints each answer as a JSON line.
"""

import http.server
import json
import queue
import re
import sys
import threading
import time
import uuid

PREFIX = "/2018-06-01/runtime"
ANSWER = re.compile(PREFIX + r"/invocation/([^/]+)/(response|error)$")


class Invocation:
    def __init__(self, request_id, body, queued_ns):
        self.request_id = request_id
        self.body = body
        self.queued_ns = queued_ns
        self.served_ns = None  # the runtime's GET .../next answered with this event
        self.answered_ns = None  # its POST .../response or .../error received
        self.kind = None  # "response" or "error"
        self.answer = None  # the body posted, bytes
        self.error_type = None  # Lambda-Runtime-Function-Error-Type of an error
        self.done = threading.Event()

    def result(self):
        """The answer as JSON (None when it is not JSON)."""
        try:
            return json.loads(self.answer)
        except (TypeError, ValueError):
            return None


class RuntimeAPI:
    def __init__(self, function_arn, timeout_ms=60_000, port=0):
        self.function_arn = function_arn
        self.timeout_ms = timeout_ms
        self.pending = queue.Queue()
        self.invocations = {}
        self.next_calls_ns = []  # every GET .../next received
        self.init_errors = []  # (time, body) of POST .../init/error
        self.lock = threading.Lock()
        self.closed = threading.Event()
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without TCP_NODELAY the second waits for
            # the client's delayed ACK (some 40 ms on Linux) once the connection is kept alive.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def read_body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def do_GET(self):
                if self.path != PREFIX + "/invocation/next":
                    return self.reply(404, b'{"errorType":"NotFound"}')
                t = time.perf_counter_ns()
                with api.lock:
                    api.next_calls_ns.append(t)
                while not api.closed.is_set():
                    try:
                        inv = api.pending.get(timeout=0.5)
                        break
                    except queue.Empty:
                        continue
                else:
                    # Closing: the runtime is about to be stopped; leave it waiting.
                    return
                deadline = int(time.time() * 1000) + api.timeout_ms
                trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
                headers = [
                    ("Lambda-Runtime-Aws-Request-Id", inv.request_id),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn", api.function_arn),
                    ("Lambda-Runtime-Trace-Id", trace),
                ]
                inv.served_ns = time.perf_counter_ns()
                self.reply(200, inv.body, headers)

            def do_POST(self):
                t = time.perf_counter_ns()
                body = self.read_body()
                if self.path == PREFIX + "/init/error":
                    with api.lock:
                        api.init_errors.append((t, body))
                    return self.reply(202, b'{"status":"OK"}')
                m = ANSWER.match(self.path)
                inv = m and api.invocations.get(m.group(1))
                if inv is None:
                    return self.reply(400, b'{"errorType":"InvalidRequestID"}')
                if inv.done.is_set():
                    return self.reply(400, b'{"errorType":"InvalidStateTransition"}')
                inv.answered_ns, inv.kind, inv.answer = t, m.group(2), body
                inv.error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
                self.reply(202, b'{"status":"OK"}')
                inv.done.set()

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.address = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def invoke(self, event):
        """Queues an event (a JSON-able value, or bytes); returns its request id."""
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        inv = Invocation(str(uuid.uuid4()), body, time.perf_counter_ns())
        self.invocations[inv.request_id] = inv
        self.pending.put(inv)
        return inv.request_id

    def wait(self, request_id, timeout=120, proc=None):
        """The Invocation once answered; None on timeout, on an init error, or when proc (a
        Popen of the runtime) exits first."""
        inv = self.invocations[request_id]
        deadline = time.monotonic() + timeout
        while not inv.done.wait(0.05):
            if self.init_errors or time.monotonic() > deadline or (proc is not None and proc.poll() is not None):
                return None
        return inv

    def wait_next_call(self, count, timeout=10):
        """Waits until the runtime has asked for the next invocation count times."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.next_calls_ns) >= count:
                    return True
            time.sleep(0.001)
        return False

    def close(self):
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()


def main():
    if len(sys.argv) < 4 or not sys.argv[1].isdigit():
        sys.exit("usage: runtime_api.py PORT FUNCTION_ARN EVENT.json...")
    api = RuntimeAPI(sys.argv[2], port=int(sys.argv[1]))
    print(f"Runtime API on {api.address}", file=sys.stderr)
    try:
        for path in sys.argv[3:]:
            rid = api.invoke(open(path, "rb").read())
            inv = api.wait(rid, timeout=3600)
            if inv is None:
                sys.exit(f"no answer to {path}: {api.init_errors[-1][1].decode(errors='replace') if api.init_errors else 'timeout'}")
            print(json.dumps({"event": path, "kind": inv.kind, "ms": (inv.answered_ns - inv.served_ns) / 1e6,
                              "answer": inv.result()}), flush=True)
    finally:
        api.close()


if __name__ == "__main__":
    main()
