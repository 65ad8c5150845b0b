"""A loopback HTTP file server for Sluice's remote-input tests and benchmark, with HTTP Range
support and fault injection. Standard library only (http.server), so tests run offline.

    python fault_http_server.py ROOT [--faults JSON]

Prints the port it listens on (127.0.0.1, chosen by the system) as the first line of stdout, then
serves the files under ROOT until killed. Every request is logged to stderr as one line
`GET /name range=N status=S sent=B`.

--faults maps a file name (the URL path without its leading slash) to the faults it suffers;
counts are per file, in request order:

    reset_at: [B1, B2, ...]   request k sends body bytes up to absolute offset Bk of the file, then
                              resets the connection (SO_LINGER 0): a dropped connection mid-file
    status: [503, 503]        request k answers this status instead of the file
    stall_at: [B, SECONDS]    the first request sends up to offset B, then sleeps SECONDS
    no_range: true            every request ignores Range and sends the whole file (200)
    truncate_at: B            every request sends at most up to offset B and closes (no reset,
                              Content-Length still the full size): a body cut short, always
    html: true                answers 200 with an HTML error page (Content-Type text/html)
    slow: BYTES_PER_SECOND    sends the body at about this rate
"""

import argparse
import json
import os
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTS = {}
LOCK = threading.Lock()


def make_handler(root, faults):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # the one-line log below replaces http.server's
            pass

        def finish(self):
            try:
                super().finish()
            except (OSError, ValueError):
                pass  # the connection was reset on purpose

        def do_HEAD(self):
            self.serve(head=True)

        def do_GET(self):
            self.serve(head=False)

        def serve(self, head):
            name = self.path.split("?", 1)[0].lstrip("/")
            f = faults.get(name, {})
            with LOCK:
                k = COUNTS.get(name, 0)
                COUNTS[name] = k + 1
            start = 0
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes=") and not f.get("no_range"):
                first = rng[6:].split("-", 1)[0]
                start = int(first) if first else 0
            statuses = f.get("status", [])
            if k < len(statuses):
                return self.reply_status(statuses[k], name, start)
            if f.get("html"):
                body = b"<!DOCTYPE html><html><body><h1>Access denied</h1></body></html>\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)
                return self.log(name, rng, 200, len(body))
            path = os.path.join(root, name)
            if not name or ".." in name.split("/") or not os.path.isfile(path):
                return self.reply_status(404, name, start)
            size = os.path.getsize(path)
            if start >= size and size > 0:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return self.log(name, rng, 416, 0)
            if start > 0:
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            else:
                self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size - start))
            self.send_header("Accept-Ranges", "none" if f.get("no_range") else "bytes")
            self.end_headers()
            if head:
                return self.log(name, rng, 200, 0)
            # Where this response stops early, if it does.
            stop = size
            reset = False
            resets = f.get("reset_at", [])
            if k < len(resets) and resets[k] > start:
                stop, reset = min(size, resets[k]), True
            if "truncate_at" in f:
                stop = min(stop, f["truncate_at"])
            stall = f.get("stall_at") if k == 0 else None
            rate = f.get("slow")
            sent = 0
            with open(path, "rb") as fh:
                if stop == size and not stall and not rate:
                    sent = self.connection.sendfile(fh, start, size - start) if size > start else 0
                else:
                    fh.seek(start)
                    pos = start
                    t0 = time.monotonic()
                    try:
                        while pos < stop:
                            limit = stop
                            if stall and pos < stall[0]:
                                limit = min(limit, stall[0])
                            chunk = fh.read(min(65536, limit - pos))
                            if not chunk:
                                break
                            self.wfile.write(chunk)
                            pos += len(chunk)
                            sent += len(chunk)
                            if stall and pos == stall[0]:
                                self.wfile.flush()
                                time.sleep(stall[1])
                                stall = None
                            if rate:
                                ahead = sent / rate - (time.monotonic() - t0)
                                if ahead > 0:
                                    time.sleep(ahead)
                        self.wfile.flush()
                    except (BrokenPipeError, ConnectionResetError):
                        pass
            self.log(name, rng, 206 if start > 0 else 200, sent)
            if stop < size:
                if reset:
                    # RST instead of FIN: the client sees a connection reset.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR) if not reset else None
                except OSError:
                    pass
                self.connection.close()

        def reply_status(self, status, name, start):
            body = f"status {status}\n".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.log(name, self.headers.get("Range"), status, 0)

        def log(self, name, rng, status, sent):
            sys.stderr.write(f"{self.command} /{name} range={rng} status={status} sent={sent}\n")
            sys.stderr.flush()

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--faults", default="{}")
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args.root, json.loads(args.faults)))
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
