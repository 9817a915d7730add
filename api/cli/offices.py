"""``offices``: the offices cases are received and worked at; the city's offices as the pack knows them."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from engine import EngineError
from engine.storage import DEFAULT_OFFICE, Case, offices
from workflows.offices import tainan_offices

from .common import current_engine, echo, fail

group = AppGroup("offices", help="Offices (organisational units): list, save, load a city's.")


@group.command("list")
def offices_list() -> None:
    engine = current_engine()
    with engine.read() as session:
        for office in offices.list_offices(session.connection()):
            echo({key: office[key] for key in ("code", "name", "region", "district", "active")})


@group.command("save")
@click.argument("code")
@click.option("--name")
@click.option("--region", help="county/city (fixed once the office exists)")
@click.option("--district", help="fixed once the office exists")
@click.option("--address")
@click.option("--phone")
@click.option("--counters", type=int)
def offices_save(code, **values) -> None:
    """Create the office CODE, or change what is given of it."""
    engine = current_engine()
    given = {key: value for key, value in values.items() if value is not None}
    try:
        with engine.write() as session:
            echo(offices.save_office(session.connection(), {**given, "code": code}, now=engine.clock.now()))
    except EngineError as error:
        fail(error)


@group.command("load")
@click.argument("city", type=click.Choice(["tainan"]))
@click.option("--count", type=int, help="only the first COUNT offices (a smaller trial)")
def offices_load(city, count) -> None:
    """Create the city's offices that do not exist yet (Tainan: one per district, TN01..TN37). The
    install's default office is closed if it never had a case (its place is nowhere in the city)."""
    engine = current_engine()
    created = 0
    with engine.write() as session:
        connection = session.connection()
        known = {office["code"] for office in offices.list_offices(connection)}
        for office in tainan_offices(count):
            if office["code"] not in known:
                offices.save_office(connection, office, now=engine.clock.now())
                created += 1
        unused = session.scalar(select(Case.id).where(Case.office == DEFAULT_OFFICE).limit(1)) is None
        if unused and DEFAULT_OFFICE in known:
            offices.save_office(connection, {"code": DEFAULT_OFFICE, "active": False}, now=engine.clock.now())
    echo({"city": city, "created": created, "default_office_closed": unused and DEFAULT_OFFICE in known})
