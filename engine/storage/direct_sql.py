"""The command path's statements, executed on the database driver directly.

SQLAlchemy Core spends about 30 µs around each statement it executes (execution context,
result objects, parameter handling) where the driver itself needs 5 to 15; a case command runs
five or six statements, and this was the largest cost the engine could still cut.

A ``DirectStatement`` is still written as a Core statement. SQLAlchemy compiles it for the
connection's dialect (SQL text, parameter style and order, PostgreSQL's casts), and every value
passes through the column types' own bind and result processors, so what is stored and read
back is exactly what Core would store and read. Driver errors are wrapped as Core wraps them
(``sqlalchemy.exc.IntegrityError`` and so on). It runs on the connection of the caller's
transaction, so it commits or rolls back with everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

Processor = Callable[[Any], Any] | None


@dataclass
class _Prepared:
    sql: str
    positional: bool  # the driver takes a tuple in ``order`` (else a dict by name)
    # (parameter name, bind processor or None, literal) in the order the driver takes them: a
    # literal is a value fixed in the statement itself (a LIMIT, an "is false").
    order: tuple[tuple[str, Processor, Any], ...]
    columns: tuple[tuple[str, Any], ...]  # (name, type for the dialect) of a SELECT or RETURNING
    # The result processors, known after the first fetch: they depend on the driver's column types.
    results: list[tuple[str, Processor]] | None = None


class DirectStatement:
    """A Core statement run with the driver's cursor on the caller's connection. Built once (at
    import), compiled on first use for each dialect and each set of parameter names."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._prepared: dict[tuple, _Prepared] = {}  # by dialect and the parameter names given, in order
        # Python-side scalar defaults of an INSERT's table, applied as Core applies them.
        table = getattr(statement, "table", None) if getattr(statement, "is_insert", False) else None
        self._defaults = {
            column.key: column.default.arg
            for column in (table.columns if table is not None else ())
            if column.default is not None and column.default.is_scalar
        }

    # ------------------------------------------------------------------ running
    def first(self, conn: Connection, params: dict[str, Any]) -> dict[str, Any] | None:
        """The first row as {column: value}, or None."""
        rows = self._run(conn, [params], fetch=True)
        return rows[0] if rows else None

    def all(self, conn: Connection, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every row, as {column: value}."""
        return self._run(conn, [params], fetch=True)

    def scalar(self, conn: Connection, params: dict[str, Any]) -> Any:
        row = self.first(conn, params)
        return next(iter(row.values())) if row else None

    def rowcount(self, conn: Connection, params: dict[str, Any]) -> int:
        return self._run(conn, [params], fetch=False)

    def executemany(self, conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        if rows:
            self._run(conn, rows, fetch=False)

    def _run(self, conn: Connection, rows: list[dict[str, Any]], *, fetch: bool):
        rows = [{**self._defaults, **row} for row in rows] if self._defaults else rows
        dialect = conn.dialect
        prepared = self._prepared.get((dialect.name, dialect.driver, *rows[0])) or self._prepare(dialect, rows[0])
        bind = self._bind_tuple if prepared.positional else self._bind_dict
        parameters = [bind(prepared.order, row) for row in rows]
        cursor = conn.connection.driver_connection.cursor()
        try:
            if len(parameters) == 1:
                cursor.execute(prepared.sql, parameters[0])
            else:
                cursor.executemany(prepared.sql, parameters)
            if not fetch:
                return cursor.rowcount
            results = prepared.results or self._result_processors(conn, prepared, cursor.description)
            return [
                {name: processor(value) if processor else value for (name, processor), value in zip(results, row)}
                for row in cursor.fetchall()
            ]
        except conn.dialect.loaded_dbapi.Error as error:
            raise DBAPIError.instance(
                prepared.sql,
                parameters[0],
                error,
                conn.dialect.loaded_dbapi.Error,
                hide_parameters=conn.engine.hide_parameters,  # they hold case data, as Core's
                dialect=conn.dialect,
            ) from error
        finally:
            cursor.close()

    # ------------------------------------------------------------------ compiling, once per dialect
    def _prepare(self, dialect, row: dict[str, Any]) -> _Prepared:
        keys = tuple(row)
        # An INSERT without .values() takes its columns from the parameters given.
        compiled = self.statement.compile(dialect=dialect, column_keys=list(keys))
        binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in compiled.binds.items()}
        literals = {
            name: bind.effective_value
            for name, bind in compiled.binds.items()
            if name not in keys and not bind.required
        }
        names = tuple(compiled.positiontup) if compiled.positional else tuple(binds)
        order = tuple((name, binds[name], literals.get(name, _GIVEN) if name not in keys else _GIVEN) for name in names)
        # The columns a SELECT gives, or those an INSERT or UPDATE returns.
        columns = tuple((column.key, column.type.dialect_impl(dialect)) for column in self.statement.exported_columns)
        prepared = self._prepared[(dialect.name, dialect.driver, *keys)] = _Prepared(
            compiled.string, compiled.positional, order, columns
        )
        return prepared

    @staticmethod
    def _result_processors(conn: Connection, prepared: _Prepared, description) -> list[tuple[str, Processor]]:
        results = [
            (name, impl.result_processor(conn.dialect, column[1]))
            for (name, impl), column in zip(prepared.columns, description)
        ]
        prepared.results = results
        return results

    @staticmethod
    def _bind_tuple(order, row: dict[str, Any]) -> tuple:
        values = []
        for name, processor, literal in order:
            value = row[name] if literal is _GIVEN else literal
            values.append(processor(value) if processor is not None else value)
        return tuple(values)

    @staticmethod
    def _bind_dict(order, row: dict[str, Any]) -> dict[str, Any]:
        values = {}
        for name, processor, literal in order:
            value = row[name] if literal is _GIVEN else literal
            values[name] = processor(value) if processor is not None else value
        return values


_GIVEN = object()  # the value of a parameter comes with each call
