#!/usr/bin/env python3
"""tests/integration/fault_server.py PORT MODE [ARG] — a misbehaving HTTP server on
127.0.0.1:PORT for the fault-injection tests (test_faults_*.sh). Answers any GET or POST:
  hang       read the request, never answer (closes after 120 s at the latest)
  truncated  200, Content-Length 4000, 10 bytes of body, then close
  drip       200, Content-Length 100000, then one body byte per second (at most 120)
  garbage    200 with 3000 random bytes; Content-Type ARG (default application/octet-stream)
  error500   500 Internal Server Error
  serve      the files of folder ARG (GET), 404 otherwise: a well-behaved CRL/AIA server
Prints "ready" on stdout once it listens. Every connection is handled in its own thread and
every wait is bounded, so a client that gives up never leaves it stuck."""
import http.server
import os
import socketserver
import sys
import time

PORT = int(sys.argv[1])
MODE = sys.argv[2]
ARG = sys.argv[3] if len(sys.argv) > 3 else None
LIMIT_S = 120


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    timeout = LIMIT_S

    def log_message(self, fmt, *args):  # quiet: the tests look at the client's side
        pass

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(min(n, 1 << 20))

    def _answer(self):
        if MODE == "hang":
            end = time.time() + LIMIT_S
            while time.time() < end:
                time.sleep(0.5)
                try:  # the client gave up: stop waiting
                    self.connection.setblocking(False)
                    if self.connection.recv(1) == b"":
                        return
                except BlockingIOError:
                    pass
                except OSError:
                    return
                finally:
                    try:
                        self.connection.setblocking(True)
                    except OSError:
                        return
            return
        if MODE == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", ARG or "application/octet-stream")
            self.send_header("Content-Length", "4000")
            self.end_headers()
            self.wfile.write(b"\x30\x82\x0f\x9c" + b"\x00" * 6)
            self.wfile.flush()
            return
        if MODE == "drip":
            self.send_response(200)
            self.send_header("Content-Type", ARG or "application/octet-stream")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.flush()
            for _ in range(LIMIT_S):
                try:
                    self.wfile.write(b"\x30")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(1)
            return
        if MODE == "garbage":
            body = os.urandom(3000)
            self.send_response(200)
            self.send_header("Content-Type", ARG or "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if MODE == "error500":
            self.send_error(500)
            return
        if MODE == "serve":
            name = os.path.basename(self.path.split("?")[0])
            path = os.path.join(ARG, name)
            if self.command == "GET" and name and os.path.isfile(path):
                with open(path, "rb") as f:
                    body = f.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)
            return
        self.send_error(501)

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._body()
        self._answer()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    srv = Server(("127.0.0.1", PORT), Handler)
    print("ready", flush=True)
    srv.serve_forever()
