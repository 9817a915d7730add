"""Deploy-time checks of timer expressions: the library checks them only when a timer is
reached, so a quoted-or-not ISO value, a bad duration or a naive date is caught here."""

from __future__ import annotations

import ast
import builtins
import re
from datetime import datetime, timedelta
from typing import Callable

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.definitions.findings import ERROR, WARNING
from engine.definitions.xml import MAX_TIMER_DAYS, Report, bpmn_xpath, check_python, describe, local_name

# An ISO 8601 value written without quotes: P5D, PT4H, R3/P2D, 2026-01-02T09:00:00+08:00
_UNQUOTED_ISO = re.compile(
    r"^(R\d*/\S+|P(?=\S*\d)[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}([T ]\S*)?|\d{4}-?W\d{2}\S*)$", re.IGNORECASE
)
_TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")
_EXAMPLES = {"timeDate": '"2026-01-02T09:00:00+08:00"', "timeDuration": '"P5D"', "timeCycle": '"R3/P2D"'}
_KNOWN_BUILTINS = frozenset(dir(builtins))


def check_timers(report: Report, file: str, root: etree._Element, script_functions: set[str]) -> None:
    for definition in bpmn_xpath(root, ".//bpmn:timerEventDefinition"):
        bodies = [child for child in definition.iter(tag=etree.Element) if local_name(child.tag) in _TIMER_KINDS]
        if not bodies:
            message, target = timer_without_time(definition)
            report.add_for(ERROR, message, target, file)
            continue
        subject, target = _timer_subject(definition)
        for severity, message in timer_problems(
            local_name(bodies[0].tag), bodies[0].text, script_functions, report.check_python
        ):
            report.add_for(severity, f"{subject} {message}", target, file)


def _timer_subject(definition: etree._Element) -> tuple[str, etree._Element]:
    """How messages name a timer, and the element findings are about: the
    timerEventDefinition if it has an id, else its event."""
    event = definition.getparent()
    if definition.get("id"):
        return f"The timer '{definition.get('id')}' of {describe(event)}", definition
    return f"The timer of {describe(event)}", event


def timer_without_time(definition: etree._Element) -> tuple[str, etree._Element]:
    """(message, element) for a timer with no timeDate, timeDuration or timeCycle."""
    subject, target = _timer_subject(definition)
    return (f'{subject} has no time set. Give it a timeDuration (e.g. "P5D"), a timeDate or a timeCycle.', target)


def timer_problems(
    kind: str, body: str | None, script_functions: set[str], check: Callable[[str, str], str | None] = check_python
) -> list[tuple[str, str]]:
    """Problems with one timer body, as (severity, message completing "The timer of X ...").
    ``check`` is the Python syntax check to use."""
    example = _EXAMPLES[kind]
    text = (body or "").strip()
    if not text:
        return [(ERROR, f"has an empty {kind}. Write a value in quotes, e.g. {example}.")]
    if _UNQUOTED_ISO.match(text):
        return [
            (
                ERROR,
                f"has the {kind} {_clip(text)} without quotes. Timer values are Python "
                f'expressions, so write it in double quotes: "{_clip(text)}".',
            )
        ]
    problem = check(body, "eval")
    if problem:
        return [
            (
                ERROR,
                f"has a {kind} that is not accepted as a Python expression: {problem}. "
                f"Write a value in quotes, e.g. {example}.",
            )
        ]
    try:
        tree = ast.parse(text, mode="eval")
    except Exception:  # compiled above, so this is not expected; stay safe anyway
        return []
    if isinstance(tree.body, ast.Constant):
        return _literal_timer_problems(kind, tree.body.value)
    return _unknown_function_warnings(kind, tree, script_functions)


def _literal_timer_problems(kind: str, value: object) -> list[tuple[str, str]]:
    if not isinstance(value, str):
        return [
            (
                ERROR,
                f"has the {kind} {value!r}, which is not text. Write an ISO 8601 value "
                f"in quotes, e.g. {_EXAMPLES[kind]}.",
            )
        ]
    if value != value.strip():
        return [
            (
                ERROR,
                f"has the {kind} {_quote(value)}, with spaces inside the quotes, which the "
                f'engine cannot read. Write it as "{_clip(value.strip())}".',
            )
        ]
    check = {
        "timeDate": _time_date_problems,
        "timeDuration": _time_duration_problems,
        "timeCycle": _time_cycle_problems,
    }[kind]
    return check(value)


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:60] + "..."


def _quote(text: str) -> str:
    """A timer value as a message shows it: in double quotes, cut if very long."""
    return f'"{_clip(text)}"'


def _unknown_function_warnings(kind: str, tree: ast.AST, script_functions: set[str]) -> list[tuple[str, str]]:
    called = sorted(
        {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    )
    unknown = [name for name in called if name not in _KNOWN_BUILTINS and name not in script_functions]
    return [
        (
            WARNING,
            f"calls {name}() in its {kind}, which is neither a Python builtin nor a "
            "registered script function. Check the spelling or register the function.",
        )
        for name in unknown
    ]


def _duration_problem(text: str) -> str | None:
    """Why ``text`` is not a usable ISO 8601 duration such as P5D or PT4H30M (None if it is)."""
    if not text.upper().startswith("P"):
        return f'{_quote(text)} is not an ISO 8601 duration: it must start with P, e.g. "P5D" or "PT4H"'
    try:
        parsed = TimerEventDefinition.parse_iso_duration(text)
    except Exception:
        return (
            f'{_quote(text)} is not a valid ISO 8601 duration. Examples: "P5D" (5 days), '
            '"PT4H" (4 hours), "P1M" (1 month), "P2W" (2 weeks)'
        )
    if not parsed:
        return f'{_quote(text)} has no length. Write e.g. "P5D"'
    # Check the size before SpiffWorkflow adds up month lengths one month at a time.
    months = parsed.get("years", 0) * 12 + parsed.get("months", 0)
    try:
        too_long = months > MAX_TIMER_DAYS / 28 or TimerEventDefinition.get_timedelta_from_start(
            dict(parsed)
        ) > timedelta(days=MAX_TIMER_DAYS)
    except (OverflowError, ValueError, TypeError):
        too_long = True
    if too_long:
        return f"{_quote(text)} is longer than 100 years, which is surely a mistake"
    return None


def _time_duration_problems(text: str) -> list[tuple[str, str]]:
    problem = _duration_problem(text)
    return [(ERROR, f"has a timeDuration problem: {problem}.")] if problem else []


def _date_problem(text: str) -> str | None:
    try:
        TimerEventDefinition.parse_time_or_duration(text)  # dates and ISO week dates
    except Exception:
        return f'{_quote(text)} is not a valid ISO 8601 date and time such as "2026-01-02T09:00:00+08:00"'
    return None


def _has_utc_offset(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:  # ISO week dates ("2026W021T09:00+08:00"): look at the time's end
        return bool(re.search(r"T.*(Z|[+-]\d{2}(:?\d{2})?)$", text, re.IGNORECASE))


def _naive_warning(kind: str, text: str) -> tuple[str, str]:
    return (
        WARNING,
        f"has the {kind} {_quote(text)} without a UTC offset, so it would be read in "
        'the server\'s time zone. Add the offset, e.g. "2026-01-02T09:00:00+08:00".',
    )


def _time_date_problems(text: str) -> list[tuple[str, str]]:
    if text.upper().startswith("P"):
        return [
            (
                ERROR,
                f"has the timeDate {_quote(text)}, which is a duration. A timeDate needs a "
                'date and time such as "2026-01-02T09:00:00+08:00"; to wait for a period, '
                "change the timer type to a duration (timeDuration).",
            )
        ]
    problem = _date_problem(text)
    if problem:
        return [(ERROR, f"has a timeDate problem: {problem}.")]
    return [] if _has_utc_offset(text) else [_naive_warning("timeDate", text)]


def _time_cycle_problems(text: str) -> list[tuple[str, str]]:
    if not text.upper().startswith("R"):
        return [
            (
                ERROR,
                f"has the timeCycle {_quote(text)}, which is not an ISO 8601 repetition. "
                'Write "R<count>/<duration>", e.g. "R3/P2D" (3 times, every 2 days).',
            )
        ]
    # Mirror SpiffWorkflow's own splitting; check each part before it computes anything.
    parts = text.upper().replace("--", "/").strip("R").split("/")
    findings: list[tuple[str, str]] = []
    for part in parts[1:]:
        problem = _duration_problem(part) if part.startswith("P") else _date_problem(part)
        if problem:
            return [(ERROR, f"has a timeCycle problem: {problem}.")]
        if not part.startswith("P") and not _has_utc_offset(part):
            findings.append(_naive_warning("timeCycle", text))
    try:
        TimerEventDefinition.parse_iso_recurring_interval(text)
    except Exception:
        return [
            (
                ERROR,
                f"has the timeCycle {_quote(text)}, which is not a valid ISO 8601 repetition. "
                'Write e.g. "R3/P2D" (3 times, every 2 days) or "R/P1D" (every day).',
            )
        ]
    return findings
