"""The ``onestop`` console command (pyproject.toml): the CLI groups of ``api.cli`` on the app
built from the environment's settings, e.g. ``onestop cases verify --all``."""

from __future__ import annotations

from flask.cli import FlaskGroup

from api import create_app


def main() -> None:
    cli = FlaskGroup(
        name="onestop",
        create_app=lambda: create_app(),
        add_default_commands=False,
        help="onestop: run a command on the office's database (settings from ONESTOP_* variables).",
    )
    cli.main(prog_name="onestop")
