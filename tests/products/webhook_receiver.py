"""A webhook receiver on 127.0.0.1 for tests, as an integrator would write one: it verifies each delivery with the
``standardwebhooks`` package (signature and the 5-minute timestamp window), dedupes by ``webhook-id`` and counts.

``behaviour(event_id, attempt)`` may return ``(status, delay_seconds)`` to answer slowly or fail."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    def __init__(self, port: int, secret: str, behaviour=None):
        self.port = port
        self.verifier = Webhook(secret) if secret.startswith("whsec_") else Webhook(secret.encode())
        self.behaviour = behaviour or (lambda event_id, attempt: (204, 0))
        self.arrivals: dict[str, int] = {}  # every arrival with a valid signature, duplicates included
        self.processed: list[str] = []  # what the receiver acted on: each webhook-id once
        self.bad_signatures = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    payload = receiver.verifier.verify(body, dict(self.headers))
                except WebhookVerificationError:
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                event_id = self.headers["webhook-id"]
                assert payload["id"] == event_id
                with receiver.lock:
                    attempt = receiver.arrivals.get(event_id, 0) + 1
                    receiver.arrivals[event_id] = attempt
                    receiver.in_flight += 1
                    receiver.most_in_flight = max(receiver.most_in_flight, receiver.in_flight)
                status, delay = receiver.behaviour(event_id, attempt)
                time.sleep(delay)
                with receiver.lock:
                    receiver.in_flight -= 1
                    if 200 <= status < 300 and event_id not in receiver.processed:
                        receiver.processed.append(event_id)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
