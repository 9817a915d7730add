"""What-if runs as records: asked for, run in the background, read back with their result.

``prepare`` checks a request and turns it into a ``WhatIf`` (the proposal validated as a deploy
would validate it, the staff read from the period's event log when not given); ``record`` keeps
the request (status ``queued``); ``execute`` runs it and keeps the result or the failure. A run
that a stopped process left ``running`` is shown as ``interrupted`` after ``STALE_AFTER``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from engine import InvalidInput
from engine.audit import Period, reports
from engine.storage import ImprovementRun, Task, queries

from ..calendar import OFFICE_CLOSES, OFFICE_OPENS, OFFICE_ZONE
from ..simulation import StaffLine
from ..simulation.driver import SUPERVISOR_LANE, check_staff_line
from .arrivals import aware
from .whatif import EngineFactory, WhatIf, run_what_if

KIND = "what_if"
MAX_PERIOD_DAYS = 62
STALE_AFTER = timedelta(hours=2)


def prepare(engine, request: dict[str, Any]) -> WhatIf:
    """A what-if from the request's JSON (see the API's schema); InvalidInput names the field."""
    first, last = request["first"], request["last"]
    Period(first, last, OFFICE_ZONE)  # the period's own checks
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise InvalidInput(
            f"A what-if replays at most {MAX_PERIOD_DAYS} days",
            errors=[{"field": "to", "message": "too long a period"}],
        )
    with engine.read() as session:
        received = reports.cases_received_in(
            session, Period(first, last, OFFICE_ZONE), procedure=request.get("procedure")
        )
    if not received:
        raise InvalidInput(
            "No case was received in the period: there is nothing to replay",
            errors=[{"field": "from", "message": "choose a period with cases"}],
        )
    proposal = request.get("proposal") or {}
    key, files = proposal.get("procedure"), _proposal_files(engine, proposal)
    if files:
        _check_proposal(engine, key, files)
    staff = request.get("staff") or {}
    current = _lines(staff.get("current"), "staff.current") or default_staff(engine, first, last)
    proposed = _lines(staff.get("proposed"), "staff.proposed") or current
    if not files and proposed == current:
        raise InvalidInput(
            "Propose something: a procedure version or another staffing",
            errors=[
                {"field": "proposal", "message": "give a proposal, or staff.proposed different from staff.current"}
            ],
        )
    return WhatIf(
        first,
        last,
        current,
        proposed,
        procedure=request.get("procedure"),
        proposal_key=key if files else None,
        proposal=files or None,
        seed=request.get("seed", 1),
        tail_days=request.get("tail_days", 10),
    )


def _proposal_files(engine, proposal: dict) -> dict[str, bytes]:
    if not proposal:
        return {}
    key = proposal.get("procedure")
    if not key:
        raise InvalidInput(
            "Name the procedure of the proposal", errors=[{"field": "proposal.procedure", "message": "required"}]
        )
    if proposal.get("version") is not None:
        with engine.read() as session:
            definition = queries.definition_version(session, key, proposal["version"])
            return queries.definition_files(session, definition.id)
    files = proposal.get("files") or {}
    if not files:
        raise InvalidInput(
            "Give the proposal's files or the version of a draft",
            errors=[{"field": "proposal.files", "message": "a BPMN file (and its forms), or proposal.version"}],
        )
    return {name: text.encode("utf-8") for name, text in files.items()}


def _check_proposal(engine, key: str, files: dict[str, bytes]) -> None:
    """The proposal, on top of the current version's files, must deploy: its errors are named."""
    with engine.read() as session:
        versions = [d for d in queries.definition_versions(session, key) if not d.draft]
        current = queries.definition_files(session, versions[-1].id) if versions else {}
    bundle = {**current, **files}
    errors = [finding for finding in engine.validate(bundle, key) if finding.blocking]
    if errors:
        raise InvalidInput(
            f"The proposal for {key} cannot be run: {errors[0].message}",
            errors=[
                {"field": "proposal.files", "element": finding.element_id, "message": finding.message}
                for finding in errors
            ],
        )


def _lines(items, field: str) -> tuple[StaffLine, ...] | None:
    if not items:
        return None
    lines = []
    for index, item in enumerate(items):
        hours = tuple(item.get("hours") or (OFFICE_OPENS.hour, OFFICE_CLOSES.hour))
        line = StaffLine(item.get("lane"), item["clerks"], hours)
        try:
            check_staff_line(line)
        except ValueError as error:
            raise InvalidInput(str(error), errors=[{"field": f"{field}.{index}", "message": str(error)}]) from None
        lines.append(line)
    return tuple(lines)


def default_staff(engine, first: date, last: date) -> tuple[StaffLine, ...]:
    """The clerks who completed steps in the period, by the lanes they worked: a clerk of one
    lane is that lane's, a clerk of several lanes is of every lane; supervisors aside."""
    period = Period(first, last, OFFICE_ZONE)
    with engine.read() as session:
        rows = session.execute(
            select(Task.completed_by, Task.lane).where(
                Task.status == "completed", Task.completed_at >= period.start, Task.completed_at < period.end
            )
        ).all()
    lanes: dict[str, set] = defaultdict(set)
    for actor, lane in rows:
        if actor:
            lanes[actor].add(lane)
    counts: Counter = Counter()
    for worked in lanes.values():
        if SUPERVISOR_LANE in worked:
            continue
        counts[next(iter(worked)) if len(worked) == 1 else None] += 1
    lines = tuple(StaffLine(lane, count) for lane, count in sorted(counts.items(), key=lambda kv: kv[0] or ""))
    if not lines:
        raise InvalidInput(
            "No clerk completed a step in the period: give the staff",
            errors=[{"field": "staff.current", "message": "required for this period"}],
        )
    return lines


def record(engine, what_if: WhatIf, request: dict[str, Any], actor: str) -> int:
    inputs = {
        **{key: value for key, value in request.items() if key not in ("first", "last", "proposal")},
        "from": what_if.first.isoformat(),
        "to": what_if.last.isoformat(),
        "proposal": {"procedure": what_if.proposal_key, "files": sorted(what_if.proposal or {})}
        if what_if.proposal
        else None,
        "staff": {
            "current": [line.as_dict() for line in what_if.staff_current],
            "proposed": [line.as_dict() for line in what_if.staff_proposed],
        },
        "seed": what_if.seed,
        "tail_days": what_if.tail_days,
    }
    with engine.write() as session:
        run = ImprovementRun(
            kind=KIND, status="queued", requested_by=actor, requested_at=engine.clock.now(), inputs=inputs
        )
        session.add(run)
        session.flush()
        return run.id


def execute(engine, factory: EngineFactory, run_id: int, what_if: WhatIf) -> None:
    """Run it and keep the result; any failure is kept as the run's error (one bad run never
    stops the next)."""
    _update(engine, run_id, status="running", started_at=engine.clock.now())
    try:
        result = run_what_if(engine, factory, what_if)
    except BaseException as error:  # noqa: BLE001 - the run's record says what went wrong
        message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
        _update(engine, run_id, status="failed", finished_at=engine.clock.now(), error=message[:2000])
        if not isinstance(error, Exception):
            raise
        return
    _update(engine, run_id, status="done", finished_at=engine.clock.now(), result=result)


def _update(engine, run_id: int, **values) -> None:
    with engine.write() as session:
        run = session.get(ImprovementRun, run_id)
        for name, value in values.items():
            setattr(run, name, value)


def get(engine, run_id: int) -> dict[str, Any] | None:
    with engine.read() as session:
        run = session.get(ImprovementRun, run_id)
        return None if run is None else _shape(run, engine.clock.now(), with_result=True)


def latest(engine, limit: int = 50) -> list[dict[str, Any]]:
    with engine.read() as session:
        runs = session.scalars(select(ImprovementRun).order_by(ImprovementRun.id.desc()).limit(limit)).all()
        now = engine.clock.now()
        return [_shape(run, now, with_result=False) for run in runs]


def _shape(run: ImprovementRun, now, *, with_result: bool) -> dict[str, Any]:
    status = run.status
    started = run.started_at or run.requested_at
    if status in ("queued", "running") and started is not None and aware(started) < now - STALE_AFTER:
        status = "interrupted"
    shaped = {
        "id": run.id,
        "kind": run.kind,
        "status": status,
        "requested_by": run.requested_by,
        "requested_at": run.requested_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "inputs": run.inputs,
        "error": run.error,
    }
    if with_result:
        shaped["result"] = run.result
    return shaped
