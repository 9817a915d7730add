"""The counter queue: issue a ticket, call the next one to a counter, serve it or mark it a
no-show, link it to the cases it produced, and show the waiting room's board.

Two counters calling at once never get the same ticket: a call moves one ticket from
``waiting`` to ``called`` with an UPDATE that names its status, and the loser of a race takes
the next one. Two kiosks issuing at once never give one number twice: the number is unique per
day and service kind, and the loser takes the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from engine.clock import Clock
from engine.errors import Conflict, InvalidInput, NotFound
from engine.registries import QueueServices
from engine.storage.counter_models import QueueTicket, QueueTicketCase
from engine.storage.models import Case

TICKETS = QueueTicket.__table__
LINKS = QueueTicketCase.__table__
MAX_TRIES = 8
MAX_COUNTER_LENGTH = 20


@dataclass(frozen=True)
class Ticket:
    id: int
    number: str
    service: str
    status: str
    day: date
    issued_at: datetime
    called_at: datetime | None
    calls: int
    counter: str | None
    started_at: datetime | None
    finished_at: datetime | None
    served_by: str | None
    case_ids: tuple[str, ...] = ()
    waiting_ahead: int | None = None  # tickets of the same service issued before it, still waiting

    @property
    def waiting_minutes(self) -> float | None:
        return None if self.called_at is None else round((self.called_at - self.issued_at).total_seconds() / 60, 1)

    @property
    def service_minutes(self) -> float | None:
        begun = self.started_at or self.called_at
        if begun is None or self.finished_at is None or self.status != "done":
            return None
        return round((self.finished_at - begun).total_seconds() / 60, 1)


class CounterQueue:
    def __init__(self, db: Engine, clock: Clock, services: QueueServices, zone: ZoneInfo) -> None:
        self._db = db
        self._clock = clock
        self.services = services
        self._zone = zone

    # ------------------------------------------------------------------ commands
    def issue(self, service: str, actor: str | None = None) -> Ticket:
        kind = self.services.get(service)
        if kind is None:
            known = ", ".join(s.key for s in self.services.all()) or "none"
            raise InvalidInput(
                f"There is no service '{service}' in the queue",
                errors=[{"field": "service", "message": f"one of {known}"}],
            )
        now = self._clock.now()
        day = now.astimezone(self._zone).date()
        for _ in range(MAX_TRIES):
            try:
                with self._db.begin() as conn:
                    last = conn.execute(
                        select(func.max(TICKETS.c.seq)).where(TICKETS.c.day == day, TICKETS.c.service == service)
                    ).scalar()
                    seq = (last or 0) + 1
                    ticket_id = conn.execute(
                        insert(TICKETS).values(
                            day=day,
                            service=service,
                            seq=seq,
                            number=f"{kind.prefix}{seq:03d}",
                            status="waiting",
                            issued_at=now,
                            issued_by=actor,
                            calls=0,
                        )
                    ).inserted_primary_key[0]
                return self.ticket(ticket_id)
            except IntegrityError:
                continue  # another kiosk took this number at the same moment: take the next
        raise Conflict("The queue is too busy to issue a ticket now; try again")

    def call_next(self, counter: str, actor: str, services: list[str] | None = None) -> Ticket | None:
        """Call the longest-waiting ticket (of ``services``, or any) to ``counter``; None if nobody waits."""
        counter = _counter(counter)
        wanted = list(services) if services else [s.key for s in self.services.all()]
        for _ in range(MAX_TRIES):
            now = self._clock.now()
            with self._db.begin() as conn:
                query = (
                    select(TICKETS.c.id)
                    .where(TICKETS.c.status == "waiting", TICKETS.c.service.in_(wanted))
                    .order_by(TICKETS.c.issued_at, TICKETS.c.id)
                    .limit(1)
                )
                if conn.dialect.name == "postgresql":
                    query = query.with_for_update(skip_locked=True)
                candidate = conn.execute(query).scalar()
                if candidate is None:
                    return None
                taken = conn.execute(
                    update(TICKETS)
                    .where(TICKETS.c.id == candidate, TICKETS.c.status == "waiting")
                    .values(status="called", called_at=now, calls=TICKETS.c.calls + 1, counter=counter, served_by=actor)
                ).rowcount
            if taken:
                return self.ticket(candidate)
        raise Conflict("Other counters are calling at the same time; try again")

    def start(self, ticket_id: int, actor: str) -> Ticket:
        """The visitor is at the counter: the service begins."""
        return self._move(
            ticket_id, ("called",), {"status": "serving", "started_at": self._clock.now(), "served_by": actor}
        )

    def finish(self, ticket_id: int, actor: str) -> Ticket:
        now = self._clock.now()
        ticket = self.ticket(ticket_id)
        values = {"status": "done", "finished_at": now, "served_by": actor}
        if ticket.started_at is None:
            values["started_at"] = ticket.called_at or now
        return self._move(ticket_id, ("called", "serving"), values)

    def no_show(self, ticket_id: int, actor: str) -> Ticket:
        """Called, and nobody came."""
        return self._move(
            ticket_id, ("called",), {"status": "no_show", "finished_at": self._clock.now(), "served_by": actor}
        )

    def link_case(self, ticket_id: int, case_id: str, actor: str | None = None) -> Ticket:
        with self._db.begin() as conn:
            status = conn.execute(select(TICKETS.c.status).where(TICKETS.c.id == ticket_id)).scalar()
            if status is None:
                raise NotFound(f"Ticket {ticket_id} does not exist", ticket_id=ticket_id)
            if status in ("waiting", "no_show"):
                raise Conflict(f"Ticket {ticket_id} is {status}: only a ticket served at a counter has cases")
            if conn.execute(select(Case.id).where(Case.id == case_id)).scalar() is None:
                raise NotFound(f"Case {case_id} does not exist", case_id=case_id)
            linked = conn.execute(
                select(LINKS.c.case_id).where(LINKS.c.ticket_id == ticket_id, LINKS.c.case_id == case_id)
            ).scalar()
            if linked is None:
                conn.execute(
                    insert(LINKS).values(
                        ticket_id=ticket_id, case_id=case_id, linked_at=self._clock.now(), linked_by=actor
                    )
                )
        return self.ticket(ticket_id)

    def _move(self, ticket_id: int, allowed: tuple[str, ...], values: dict) -> Ticket:
        with self._db.begin() as conn:
            moved = conn.execute(
                update(TICKETS).where(TICKETS.c.id == ticket_id, TICKETS.c.status.in_(allowed)).values(**values)
            ).rowcount
            if not moved:
                status = conn.execute(select(TICKETS.c.status).where(TICKETS.c.id == ticket_id)).scalar()
                if status is None:
                    raise NotFound(f"Ticket {ticket_id} does not exist", ticket_id=ticket_id)
                raise Conflict(
                    f"Ticket {ticket_id} is {status}, not {' or '.join(allowed)}", ticket_id=ticket_id, status=status
                )
        return self.ticket(ticket_id)

    # ------------------------------------------------------------------ reads
    def today(self) -> date:
        return self._clock.now().astimezone(self._zone).date()

    def ticket(self, ticket_id: int) -> Ticket:
        with self._db.connect() as conn:
            row = conn.execute(select(TICKETS).where(TICKETS.c.id == ticket_id)).first()
            if row is None:
                raise NotFound(f"Ticket {ticket_id} does not exist", ticket_id=ticket_id)
            cases = tuple(conn.execute(select(LINKS.c.case_id).where(LINKS.c.ticket_id == ticket_id)).scalars())
            ahead = None
            if row.status == "waiting":
                ahead = conn.execute(
                    select(func.count()).where(
                        TICKETS.c.status == "waiting",
                        TICKETS.c.service == row.service,
                        or_(
                            TICKETS.c.issued_at < row.issued_at,
                            and_(TICKETS.c.issued_at == row.issued_at, TICKETS.c.id < row.id),
                        ),
                    )
                ).scalar()
        return _ticket(row, cases, ahead)

    def tickets(self, day: date) -> list[Ticket]:
        with self._db.connect() as conn:
            rows = conn.execute(select(TICKETS).where(TICKETS.c.day == day).order_by(TICKETS.c.issued_at, TICKETS.c.id))
            rows = rows.all()
            links: dict[int, list[str]] = {}
            ids = [row.id for row in rows]
            for start in range(0, len(ids), 900):
                for ticket_id, case_id in conn.execute(
                    select(LINKS.c.ticket_id, LINKS.c.case_id).where(LINKS.c.ticket_id.in_(ids[start : start + 900]))
                ):
                    links.setdefault(ticket_id, []).append(case_id)
        return [_ticket(row, tuple(links.get(row.id, ())), None) for row in rows]

    def board(self, day: date | None = None, upcoming: int = 5) -> dict:
        """What the waiting room's display shows: per counter the ticket it serves now, per service
        the next numbers and how many wait. Numbers only: no names, no case data."""
        day = day or self.today()
        tickets = self.tickets(day)
        serving: dict[str, Ticket] = {}
        for ticket in tickets:
            if ticket.counter and ticket.status in ("called", "serving"):
                current = serving.get(ticket.counter)
                if current is None or (ticket.called_at or ticket.issued_at) > (current.called_at or current.issued_at):
                    serving[ticket.counter] = ticket
        services = []
        for kind in self.services.all():
            waiting = [t for t in tickets if t.service == kind.key and t.status == "waiting"]
            services.append(
                {
                    "service": kind.key,
                    "name_zh": kind.name_zh,
                    "name_en": kind.name_en,
                    "waiting": len(waiting),
                    "next": [t.number for t in waiting[:upcoming]],
                }
            )
        return {
            "day": day,
            "now_serving": [
                {"counter": counter, "number": ticket.number, "service": ticket.service, "called_at": ticket.called_at}
                for counter, ticket in sorted(serving.items())
            ],
            "services": services,
        }


def _counter(counter: str) -> str:
    counter = (counter or "").strip()
    if not counter or len(counter) > MAX_COUNTER_LENGTH:
        raise InvalidInput(
            "Name the counter", errors=[{"field": "counter", "message": f"1 to {MAX_COUNTER_LENGTH} characters"}]
        )
    return counter


def _ticket(row, case_ids: tuple[str, ...], ahead: int | None) -> Ticket:
    return Ticket(
        id=row.id,
        number=row.number,
        service=row.service,
        status=row.status,
        day=row.day,
        issued_at=row.issued_at,
        called_at=row.called_at,
        calls=row.calls,
        counter=row.counter,
        started_at=row.started_at,
        finished_at=row.finished_at,
        served_by=row.served_by,
        case_ids=case_ids,
        waiting_ahead=ahead,
    )
