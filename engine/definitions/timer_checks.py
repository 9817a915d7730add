"""Deploy-time checks of timer expressions: the library checks them only when a timer is
reached, so a quoted-or-not ISO value, a bad duration or a naive date is caught here. Timer
definitions written at the top of the file (not inside an event) are inert unless an event refers
to them: ``check_top_level_definitions``."""

from __future__ import annotations

import ast
import builtins
import re
from datetime import datetime, timedelta
from typing import Callable

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.definitions.findings import Text
from engine.definitions.kinds import words
from engine.definitions.xml import BPMN_NS, MAX_TIMER_DAYS, Report, bpmn_xpath, check_python, describe, local_name

# An ISO 8601 value written without quotes: P5D, PT4H, R3/P2D, 2026-01-02T09:00:00+08:00
_UNQUOTED_ISO = re.compile(
    r"^(R\d*/\S+|P(?=\S*\d)[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}([T ]\S*)?|\d{4}-?W\d{2}\S*)$", re.IGNORECASE
)
_TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")
_EXAMPLES = {"timeDate": '"2026-01-02T09:00:00+08:00"', "timeDuration": '"P5D"', "timeCycle": '"R3/P2D"'}
_KNOWN_BUILTINS = frozenset(dir(builtins))

# A problem with a timer body: (kind of finding, its values besides the timer).
TimerProblem = tuple[str, dict]


def check_timers(report: Report, file: str, root: etree._Element, script_functions: set[str]) -> None:
    for definition in bpmn_xpath(root, ".//bpmn:timerEventDefinition"):
        if definition.getparent() is root:
            continue  # a top-level definition: see check_top_level_definitions
        bodies = [child for child in definition.iter(tag=etree.Element) if local_name(child.tag) in _TIMER_KINDS]
        subject, target = timer_subject(definition)
        if not bodies:
            report.add("timer-without-time", at=target, file=file, timer=subject)
            continue
        for kind, values in timer_problems(
            local_name(bodies[0].tag), bodies[0].text, script_functions, report.check_python
        ):
            report.add(kind, at=target, file=file, timer=subject, **values)


def check_top_level_definitions(report: Report, file: str, root: etree._Element) -> None:
    """Event definitions written directly under ``definitions``: an event may point at one with
    ``eventDefinitionRef`` (which the engine does not follow); one no event points at is inert."""
    referenced: dict[str, etree._Element] = {}
    for ref in bpmn_xpath(root, ".//bpmn:eventDefinitionRef"):
        referenced.setdefault((ref.text or "").strip(), ref.getparent())
    for definition in root:
        if not isinstance(definition.tag, str) or etree.QName(definition).namespace != BPMN_NS:
            continue  # a comment, or a vendor's element: carried along, never judged
        if not local_name(definition.tag).endswith("EventDefinition"):
            continue
        event = referenced.get(definition.get("id") or "")
        if event is not None:
            report.add("definition-by-reference", at=event, file=file, ref=definition.get("id"))
        else:
            report.add("definition-unused", at=definition, file=file)


def unquoted_timer_bodies(container: etree._Element) -> list[tuple[etree._Element, etree._Element]]:
    """(timer definition, its body) of every timer whose value is a bare ISO 8601 value (P5D, a
    date, R3/P2D), as other modellers write it: here it must be a quoted Python text."""
    found = []
    for definition in bpmn_xpath(container, ".//bpmn:timerEventDefinition"):
        for body in definition:
            if local_name(body.tag) in _TIMER_KINDS and _UNQUOTED_ISO.match((body.text or "").strip()):
                found.append((definition, body))
    return found


def quote_timer_body(body: etree._Element) -> str:
    """Write the body's bare ISO value in double quotes; returns the value."""
    value = (body.text or "").strip()
    body.text = f'"{value}"'
    return value


def timer_subject(definition: etree._Element) -> tuple[Text, etree._Element]:
    """How messages name a timer, and the element findings are about: the
    timerEventDefinition if it has an id, else its event."""
    event = definition.getparent()
    if definition.get("id"):
        return words("timer-named", timer=definition.get("id"), event=describe(event)), definition
    return words("timer-of", event=describe(event)), event


def timer_problems(
    kind: str, body: str | None, script_functions: set[str], check: Callable[[str, str], Text | None] = check_python
) -> list[TimerProblem]:
    """Problems with one timer body, as (kind of finding, values). ``check`` is the Python
    syntax check to use."""
    example = _EXAMPLES[kind]
    text = (body or "").strip()
    if not text:
        return [("timer-empty", {"field": kind, "example": example})]
    if _UNQUOTED_ISO.match(text):
        return [("timer-unquoted", {"field": kind, "value": _clip(text)})]
    problem = check(body, "eval")
    if problem:
        return [("timer-not-python", {"field": kind, "problem": problem, "example": example})]
    try:
        tree = ast.parse(text, mode="eval")
    except Exception:  # compiled above, so this is not expected; stay safe anyway
        return []
    if isinstance(tree.body, ast.Constant):
        return _literal_timer_problems(kind, tree.body.value)
    return _unknown_function_warnings(kind, tree, script_functions)


def _literal_timer_problems(kind: str, value: object) -> list[TimerProblem]:
    if not isinstance(value, str):
        return [("timer-not-text", {"field": kind, "value": _clip(str(value)), "example": _EXAMPLES[kind]})]
    if value != value.strip():
        return [("timer-spaces", {"field": kind, "value": _clip(value), "trimmed": _clip(value.strip())})]
    check = {
        "timeDate": _time_date_problems,
        "timeDuration": _time_duration_problems,
        "timeCycle": _time_cycle_problems,
    }[kind]
    return check(value)


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:60] + "..."


def _unknown_function_warnings(kind: str, tree: ast.AST, script_functions: set[str]) -> list[TimerProblem]:
    called = sorted(
        {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    )
    unknown = [name for name in called if name not in _KNOWN_BUILTINS and name not in script_functions]
    return [("timer-unknown-function", {"field": kind, "function": name}) for name in unknown]


def _duration_problem(text: str) -> Text | None:
    """Why ``text`` is not a usable ISO 8601 duration such as P5D or PT4H30M (None if it is)."""
    value = _clip(text)
    if not text.upper().startswith("P"):
        return words("duration-no-p", value=value)
    try:
        parsed = TimerEventDefinition.parse_iso_duration(text)
    except Exception:
        return words("duration-invalid", value=value)
    if not parsed:
        return words("duration-zero", value=value)
    # Check the size before SpiffWorkflow adds up month lengths one month at a time.
    months = parsed.get("years", 0) * 12 + parsed.get("months", 0)
    try:
        too_long = months > MAX_TIMER_DAYS / 28 or TimerEventDefinition.get_timedelta_from_start(
            dict(parsed)
        ) > timedelta(days=MAX_TIMER_DAYS)
    except (OverflowError, ValueError, TypeError):
        too_long = True
    return words("duration-too-long", value=value) if too_long else None


def _time_duration_problems(text: str) -> list[TimerProblem]:
    problem = _duration_problem(text)
    return [("timer-duration-invalid", {"problem": problem})] if problem else []


def _date_problem(text: str) -> Text | None:
    try:
        TimerEventDefinition.parse_time_or_duration(text)  # dates and ISO week dates
    except Exception:
        return words("date-invalid", value=_clip(text))
    return None


def _has_utc_offset(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:  # ISO week dates ("2026W021T09:00+08:00"): look at the time's end
        return bool(re.search(r"T.*(Z|[+-]\d{2}(:?\d{2})?)$", text, re.IGNORECASE))


def _naive_warning(kind: str, text: str) -> TimerProblem:
    return ("timer-naive", {"field": kind, "value": _clip(text)})


def _time_date_problems(text: str) -> list[TimerProblem]:
    if text.upper().startswith("P"):
        return [("timer-date-is-duration", {"value": _clip(text)})]
    problem = _date_problem(text)
    if problem:
        return [("timer-date-invalid", {"problem": problem})]
    return [] if _has_utc_offset(text) else [_naive_warning("timeDate", text)]


def _time_cycle_problems(text: str) -> list[TimerProblem]:
    if not text.upper().startswith("R"):
        return [("timer-cycle-not-repetition", {"value": _clip(text)})]
    # Mirror SpiffWorkflow's own splitting; check each part before it computes anything.
    parts = text.upper().replace("--", "/").strip("R").split("/")
    findings: list[TimerProblem] = []
    for part in parts[1:]:
        problem = _duration_problem(part) if part.startswith("P") else _date_problem(part)
        if problem:
            return [("timer-cycle-invalid", {"problem": problem})]
        if not part.startswith("P") and not _has_utc_offset(part):
            findings.append(_naive_warning("timeCycle", text))
    try:
        TimerEventDefinition.parse_iso_recurring_interval(text)
    except Exception:
        return [("timer-cycle-invalid", {"problem": words("cycle-invalid", value=_clip(text))})]
    return findings
