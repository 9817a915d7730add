"""Delivering the outbox (``notifications``): claimed, sent through an adapter, retried.

Messages are written by the command that caused them, in its transaction, so none is lost when
a process dies. A sender claims a row by moving it from ``pending`` to ``sending`` with a lease
(``next_attempt_at`` in the future) in one conditional UPDATE: of several schedulers or workers
only one wins, so a message is sent once. A sender that dies while holding a row leaves it to be
claimed again when the lease ends; the email adapter gives every message a Message-ID derived
from the row, so a receiving server can recognise the rare resend after such a crash.

Adapters: ``SmtpAdapter`` (email through smtplib), ``SmsAdapter`` (wraps any callable that
sends a text to a phone number: the office plugs in its provider), ``DevelopmentAdapter``
(stores messages in ``development_messages`` for the API to show; nothing leaves the machine).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Callable, Protocol

from sqlalchemy import Engine, and_, case, insert, or_, select, update

from engine.background.backoff import Backoff
from engine.clock import Clock
from engine.errors import real_interrupt
from engine.storage.db import read_only, storage_unavailable
from engine.storage.models import DevelopmentMessage, Notification

log = logging.getLogger("onestop.outbox")
NOTIFICATIONS = Notification.__table__
DEVELOPMENT_MESSAGES = DevelopmentMessage.__table__
# An ephemeral message (one carrying a one-time code) keeps its body only until it is sent or
# given up: the outbox must not keep a usable secret.
REMOVED_BODY = "(removed: this message carried a one-time code)"
_BODY_AFTER_SENDING = case((NOTIFICATIONS.c.ephemeral, REMOVED_BODY), else_=NOTIFICATIONS.c.body)


@dataclass(frozen=True)
class OutgoingMessage:
    id: int
    channel: str
    recipient: str
    subject: str
    body: str
    dedupe_key: str


class DeliveryAdapter(Protocol):
    def send(self, message: OutgoingMessage) -> None:
        """Deliver or raise; raising makes the outbox try again later."""


class SmtpAdapter:
    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
        message_id_domain: str = "onestop.local",
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout
        self.message_id_domain = message_id_domain

    def send(self, message: OutgoingMessage) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = f"<notification-{message.id}@{self.message_id_domain}>"
        email.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(email)


class SmsAdapter:
    """SMS through the office's provider: ``send_text(phone, text)`` raises when it fails."""

    def __init__(self, send_text: Callable[[str, str], None]) -> None:
        self.send_text = send_text

    def send(self, message: OutgoingMessage) -> None:
        self.send_text(message.recipient, message.body)


class DevelopmentAdapter:
    """Keeps messages in the database (``development_messages``) where the API shows them."""

    def __init__(self, db: Engine, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def send(self, message: OutgoingMessage) -> None:
        with self.db.begin() as conn:
            known = conn.execute(
                select(DEVELOPMENT_MESSAGES.c.id).where(DEVELOPMENT_MESSAGES.c.notification_id == message.id)
            ).first()
            if known is None:
                conn.execute(
                    insert(DEVELOPMENT_MESSAGES).values(
                        notification_id=message.id,
                        channel=message.channel,
                        recipient=message.recipient,
                        subject=message.subject,
                        body=message.body,
                        delivered_at=self.clock.now(),
                    )
                )


class Outbox:
    def __init__(
        self,
        db: Engine,
        clock: Clock,
        adapters: dict[str, DeliveryAdapter],
        *,
        max_attempts: int = 8,
        lease: timedelta = timedelta(minutes=5),
        first_retry: timedelta = timedelta(seconds=30),
    ) -> None:
        self.db, self.clock, self.adapters = db, clock, adapters
        self.max_attempts, self.lease, self.first_retry = max_attempts, lease, first_retry
        self.backoff = Backoff(first=5.0, maximum=600.0)  # messages whose handling failed (not their sending)

    def due_ids(self, now: datetime, limit: int) -> list[int]:
        # Pending rows whose time has come, and rows whose sender's lease ran out.
        query = (
            select(NOTIFICATIONS.c.id)
            .where(NOTIFICATIONS.c.status.in_(("pending", "sending")), NOTIFICATIONS.c.next_attempt_at <= now)
            .order_by(NOTIFICATIONS.c.next_attempt_at)
            .limit(limit)
        )
        with read_only(self.db).connect() as conn:
            return list(conn.execute(query).scalars())

    def deliver_due(self, limit: int = 50) -> dict[str, int]:
        """Deliver what is due, one message after the other; one that cannot be handled is
        logged and waits (``error``), and the others go on. A database that cannot be used now
        is raised: the caller backs off."""
        counts = {"sent": 0, "retry": 0, "failed": 0}
        due = [
            key for key in self.due_ids(self.clock.now(), limit + len(self.backoff)) if not self.backoff.waiting(key)
        ]
        for notification_id in due[:limit]:
            try:
                outcome = self.deliver(notification_id)
            except BaseException as error:  # noqa: BLE001 - sorted below, never swallowed silently
                if storage_unavailable(error) or real_interrupt(error):
                    raise
                delay = self.backoff.failed(notification_id)
                log.error(
                    "notification %s could not be handled; next try in %.0f s", notification_id, delay, exc_info=error
                )
                outcome = "error"
            else:
                self.backoff.succeeded(notification_id)
            counts[outcome] = counts.get(outcome, 0) + 1
        counts.pop("skipped", None)
        return counts

    def deliver(self, notification_id: int) -> str:
        """Claim one message and send it: 'sent', 'retry', 'failed', or 'skipped' (not ours)."""
        now = self.clock.now()
        with self.db.begin() as conn:
            claimed = conn.execute(
                update(NOTIFICATIONS)
                .where(
                    NOTIFICATIONS.c.id == notification_id,
                    NOTIFICATIONS.c.next_attempt_at <= now,
                    or_(NOTIFICATIONS.c.status == "pending", NOTIFICATIONS.c.status == "sending"),
                )
                .values(status="sending", attempts=NOTIFICATIONS.c.attempts + 1, next_attempt_at=now + self.lease)
            ).rowcount
            if claimed != 1:
                return "skipped"
            row = conn.execute(select(NOTIFICATIONS).where(NOTIFICATIONS.c.id == notification_id)).one()
        message = OutgoingMessage(row.id, row.channel, row.recipient, row.subject, row.body, row.dedupe_key)
        try:
            adapter = self.adapters.get(row.channel)
            if adapter is None:
                raise LookupError(f"no delivery adapter for channel '{row.channel}'")
            adapter.send(message)
        except BaseException as error:  # noqa: BLE001 - any adapter failure: keep the message, try later
            if real_interrupt(error):
                raise
            return self._failed(row, error)
        with self.db.begin() as conn:
            conn.execute(
                update(NOTIFICATIONS)
                .where(and_(NOTIFICATIONS.c.id == row.id, NOTIFICATIONS.c.status == "sending"))
                .values(status="sent", sent_at=self.clock.now(), last_error=None, body=_BODY_AFTER_SENDING)
            )
        return "sent"

    def _failed(self, row, error: Exception) -> str:
        final = row.attempts >= self.max_attempts
        delay = self.first_retry * (2 ** (row.attempts - 1))
        text = f"{type(error).__name__}: {error}"[:1000]
        log.warning("notification %s delivery failed (attempt %s): %s", row.id, row.attempts, text)
        with self.db.begin() as conn:
            conn.execute(
                update(NOTIFICATIONS)
                .where(NOTIFICATIONS.c.id == row.id)
                .values(
                    status="failed" if final else "pending",
                    last_error=text,
                    next_attempt_at=self.clock.now() + delay,
                    body=_BODY_AFTER_SENDING if final else NOTIFICATIONS.c.body,
                )
            )
        return "failed" if final else "retry"

    def health(self) -> dict:
        with read_only(self.db).connect() as conn:
            failed = conn.execute(select(NOTIFICATIONS.c.id).where(NOTIFICATIONS.c.status == "failed").limit(1)).first()
        return {"status": "ok", "failed_messages": failed is not None}
