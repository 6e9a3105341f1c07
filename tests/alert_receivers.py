"""Local receivers for the alert channels: an SMTP server (aiosmtpd) and an HTTP webhook endpoint,
both on loopback, each keeping what it received."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[_Mailbox, int]]:
    box = _Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def webhook() -> Iterator[tuple[list[dict], str]]:
    received: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


@pytest.fixture
def alert_channels(mailbox, webhook, monkeypatch) -> tuple[list[Message], list[dict]]:
    """Both channels configured as docs/operators.md says; what each received."""
    box, port = mailbox
    received, url = webhook
    monkeypatch.setenv("LANA_ALERT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LANA_ALERT_SMTP_PORT", str(port))
    monkeypatch.setenv("LANA_ALERT_EMAIL_TO", "data-engineers@bank.example")
    monkeypatch.setenv("LANA_ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv("LANA_DAGSTER_UI_URL", "http://dagster.bank.example")
    return box.messages, received
