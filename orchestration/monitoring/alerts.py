"""Telling people: alerts (a failed run or check, a late report) and the night's summary.

Channels are configured by environment, any number at once; with none, messages are only logged.

  LANA_ALERT_SMTP_HOST, LANA_ALERT_SMTP_PORT (25), LANA_ALERT_EMAIL_FROM, LANA_ALERT_EMAIL_TO
      (comma-separated), LANA_ALERT_SMTP_USER + LANA_ALERT_SMTP_PASSWORD_FILE (a 0600 file),
      LANA_ALERT_SMTP_STARTTLS=true                                            email
  LANA_ALERT_WEBHOOK_URL                  a JSON POST ({"kind", "subject", "text", "fields"})
  LANA_DAGSTER_UI_URL                     base of the run links (default http://localhost:3000)

A message names what failed and links to the run; it never carries a secret (URLs, passwords and
keys are not part of what is sent, and error lines are cut to their first line).
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

UI_URL_ENV = "LANA_DAGSTER_UI_URL"


@dataclass(frozen=True)
class Message:
    kind: str  # run_failed | report_late | raw_layer_late | night_summary
    subject: str
    lines: tuple[str, ...]
    fields: dict[str, object] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class Channel(Protocol):
    def send(self, message: Message) -> None: ...


@dataclass(frozen=True)
class EmailChannel:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str = ""
    password_file: str = ""
    starttls: bool = False

    def send(self, message: Message) -> None:
        email = EmailMessage()
        email["Subject"] = message.subject
        email["From"] = self.sender
        email["To"] = ", ".join(self.recipients)
        email.set_content(message.text + "\n")
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, Path(self.password_file).read_text().strip())
            smtp.send_message(email)


@dataclass(frozen=True)
class WebhookChannel:
    url: str

    def send(self, message: Message) -> None:
        body = {
            "kind": message.kind,
            "subject": message.subject,
            "text": message.text,
            "fields": message.fields,
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body, default=str).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


def channels_from_environment() -> list[Channel]:
    channels: list[Channel] = []
    host = os.environ.get("LANA_ALERT_SMTP_HOST")
    if host:
        recipients = tuple(
            r.strip() for r in os.environ.get("LANA_ALERT_EMAIL_TO", "").split(",") if r.strip()
        )
        if not recipients:
            raise ValueError("LANA_ALERT_SMTP_HOST is set but LANA_ALERT_EMAIL_TO names no recipient")
        channels.append(
            EmailChannel(
                host=host,
                port=int(os.environ.get("LANA_ALERT_SMTP_PORT", "25")),
                sender=os.environ.get("LANA_ALERT_EMAIL_FROM", "lana-data-platform@localhost"),
                recipients=recipients,
                user=os.environ.get("LANA_ALERT_SMTP_USER", ""),
                password_file=os.environ.get("LANA_ALERT_SMTP_PASSWORD_FILE", ""),
                starttls=os.environ.get("LANA_ALERT_SMTP_STARTTLS", "").lower() == "true",
            )
        )
    webhook = os.environ.get("LANA_ALERT_WEBHOOK_URL")
    if webhook:
        channels.append(WebhookChannel(webhook))
    return channels


def deliver(message: Message, channels: Sequence[Channel] | None = None) -> list[str]:
    """Send through every channel; a channel that fails does not stop the others. The failures."""
    failures = []
    log.info("%s\n%s", message.subject, message.text)
    if channels is None:
        try:
            channels = channels_from_environment()
        except ValueError as misconfigured:
            log.warning("alerts not sent: %s", misconfigured)
            return [str(misconfigured)]
    for channel in channels:
        try:
            channel.send(message)
        except Exception as error:  # an alert must not take the pipeline down with it
            failures.append(f"{type(channel).__name__}: {first_line(str(error))}")
            log.warning("alert channel %s failed: %s", type(channel).__name__, error)
    return failures


def run_link(run_id: str) -> str:
    return f"{os.environ.get(UI_URL_ENV, 'http://localhost:3000').rstrip('/')}/runs/{run_id}"


def first_line(text: str, limit: int = 300) -> str:
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"
