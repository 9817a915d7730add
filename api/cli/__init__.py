"""The command line: ``onestop <group> <command>`` (or ``flask --app api <group> <command>``).

One module per command group, each defining ``group``; they share ``common``. Every command
prints JSON (one document, or one per line for lists) so its output can be piped into jq.
"""

from __future__ import annotations

import click
from flask import Flask

from api.cli import (
    audit,
    cases,
    db,
    definitions,
    mining,
    offices,
    reports,
    retention,
    simulation,
    tasks,
    tokens,
    users,
)

COMMANDS: dict[str, click.Command] = {
    command.name: command
    for command in (
        db.group,
        definitions.group,
        cases.group,
        tasks.group,
        users.group,
        offices.group,
        tokens.group,
        audit.group,
        reports.group,
        mining.group,
        retention.group,
        simulation.simulate_month,
    )
}


def register_cli(app: Flask) -> None:
    for command in COMMANDS.values():
        app.cli.add_command(command)
