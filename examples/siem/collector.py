#!/usr/bin/env python3
"""A tiny SIEM-style collector on 127.0.0.1: an HTTP endpoint that accepts alert POSTs
(one JSON object, or a JSON array when the sink batches) and a UDP syslog listener.
Everything received is appended, one record per line, to OUT/http.jsonl and OUT/syslog.log.
Ports 0 = pick free ones; the chosen ports are written to OUT/ports ("http=N syslog=M").
Stops on SIGTERM/SIGINT or after --timeout seconds. Python 3 standard library only."""
import argparse
import http.server
import json
import os
import signal
import socket
import sys
import threading


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--http-port", type=int, default=0)
    ap.add_argument("--syslog-port", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    lock = threading.Lock()

    def append(name, text):
        with lock, open(os.path.join(args.out, name), "a") as f:
            f.write(text + "\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                doc = json.loads(body)
            except ValueError:
                self.send_response(400)
                self.end_headers()
                return
            for alert in doc if isinstance(doc, list) else [doc]:
                alert["_collector"] = {"path": self.path,
                                       "content_type": self.headers.get("Content-Type"),
                                       "x_source": self.headers.get("X-Source")}
                append("http.jsonl", json.dumps(alert))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", args.http_port), Handler)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", args.syslog_port))

    def syslog_loop():
        while True:
            data, _ = udp.recvfrom(65536)
            append("syslog.log", data.decode("utf-8", "replace").rstrip("\n"))

    threading.Thread(target=syslog_loop, daemon=True).start()
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    tmp = os.path.join(args.out, "ports.tmp")
    with open(tmp, "w") as f:
        f.write(f"http={httpd.server_address[1]} syslog={udp.getsockname()[1]}\n")
    os.replace(tmp, os.path.join(args.out, "ports"))

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait(args.timeout)
    httpd.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
