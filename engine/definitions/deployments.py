"""Deployed procedure definitions: versions, content hashes, and the cache of parsed specs.

A deploy stores the files as uploaded (after encoding normalisation) and parses them once.
Each worker process parses a version at most once, the first time a command needs it.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

import jsonschema
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from engine.accounts import worker_groups
from engine.commands import DeployDefinition
from engine.definitions.findings import Finding
from engine.definitions.importing import REJECTED
from engine.definitions.validation import ValidatedBundle
from engine.errors import DefinitionInvalid, NotFound
from engine.storage.models import Definition, DefinitionFile


@dataclass(frozen=True)
class ParsedDefinition:
    """A definition version ready to run: its specs and form schemas."""

    id: int
    process_key: str
    version: int
    spec: Any
    subprocess_specs: dict
    forms: dict[str, dict]
    # JSON Schema validators of the forms, built on first use (building one per submission
    # costs more than the validation).
    _form_validators: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def form_validator(self, form_key: str, formats=None):
        """The validator of form ``form_key`` (None if the definition has no such form), with
        the domain's extra formats (engine.registries.FormFormats). A definition belongs to one
        engine's deployments, so it always meets the same formats."""
        validator = self._form_validators.get(form_key)
        if validator is None and form_key in self.forms:
            schema = self.forms[form_key]
            validator_class = jsonschema.validators.validator_for(schema)
            checker = formats.checker(validator_class.FORMAT_CHECKER) if formats else validator_class.FORMAT_CHECKER
            validator = self._form_validators[form_key] = validator_class(schema, format_checker=checker)
        return validator


@dataclass(frozen=True)
class DeployResult:
    definition: Definition
    created: bool  # False when the same content was already deployed
    findings: list[Finding]
    rehearsal: dict | None = None  # for an executable version: the case start tried in memory


def content_hash(files: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


class Deployments:
    """Validates and stores definitions; hands out parsed specs from an in-process cache.

    ``groups`` are the groups the office is configured with (None: the office does not say, and
    lanes are not compared with groups); the groups active users work are added at each upload."""

    def __init__(self, validate: Callable[..., ValidatedBundle], groups: Iterable[str] | None = None) -> None:
        self._validate = validate
        self.groups = frozenset(groups) if groups is not None else None
        self._cache: dict[int, ParsedDefinition] = {}
        self._lock = threading.Lock()

    def validate(
        self, files: Mapping[str, bytes], process_key: str | None = None, *, worker_groups: Iterable[str] = ()
    ) -> ValidatedBundle:
        """Validate an upload: its lanes compared with the office's groups, a case start rehearsed."""
        groups = None if self.groups is None else self.groups | frozenset(worker_groups)
        return self._validate(files, main_process_id=process_key, groups=groups)

    def _parse_stored(self, files: Mapping[str, bytes], process_key: str) -> ValidatedBundle:
        """Parse a stored version again for the runtime (nothing compared with today's groups, nothing run)."""
        return self._validate(files, main_process_id=process_key, groups=None, rehearse_with=None)

    def deploy(
        self, session: Session, command: DeployDefinition, *, now: datetime
    ) -> tuple[DeployResult, ValidatedBundle]:
        """Store the upload as a new version: executable, or a draft. ``as_draft`` (the designer's
        import, to open and fix it in the modeller) stores it as a draft whatever its verdict, even
        a rejected one, when its files can be read. Lanes are checked against the office's groups
        and those its active users work."""
        as_draft = command.as_draft
        bundle = self.validate(command.files, command.process_key, worker_groups=worker_groups(session))
        storable = bundle.verdict != REJECTED or (as_draft and bundle.storable_as_draft)
        if not storable or bundle.process_key is None:
            raise DefinitionInvalid(
                "The procedure has errors and was not deployed"
                + (" (it cannot be read, so it cannot be kept as a draft either)" if as_draft else ""),
                findings=[finding.as_dict() for finding in bundle.findings],
            )
        key = bundle.process_key
        digest = content_hash(bundle.normalized_files)
        draft = as_draft or not bundle.ok
        # The same content again: the version it already is (a draft becomes executable only as a new version).
        existing = session.scalar(
            select(Definition)
            .where(Definition.process_key == key, Definition.content_hash == digest)
            .order_by(Definition.draft, Definition.version.desc())
            .limit(1)
        )
        if existing is not None and (draft or not existing.draft):
            return DeployResult(existing, False, bundle.findings, _rehearsal(bundle)), bundle
        latest = session.scalar(select(func.max(Definition.version)).where(Definition.process_key == key))
        definition = Definition(
            process_key=key,
            version=(latest or 0) + 1,
            name=_process_name(bundle, key),
            content_hash=digest,
            findings=[finding.as_dict() for finding in bundle.findings],
            deployed_at=now,
            deployed_by=command.actor,
            draft=draft,
            main_file=bundle.main_file,
        )
        session.add(definition)
        session.flush()
        for name, content in bundle.normalized_files.items():
            session.add(DefinitionFile(definition_id=definition.id, name=name, content=content))
        return DeployResult(definition, True, bundle.findings, _rehearsal(bundle)), bundle

    def remember(self, definition: Definition, bundle: ValidatedBundle) -> None:
        """Cache the specs parsed at deploy (call after the deploy committed)."""
        if definition.draft:
            return  # nothing runs on a draft
        self._store(self._parsed(definition, bundle))

    def get(self, connection: Connection | Session, definition_id: int) -> ParsedDefinition:
        cached = self._cache.get(definition_id)
        if cached is not None:
            return cached
        definitions, files_table = Definition.__table__, DefinitionFile.__table__
        definition = connection.execute(select(definitions).where(definitions.c.id == definition_id)).first()
        if definition is None:
            raise NotFound(f"Definition {definition_id} does not exist", definition_id=definition_id)
        files = {
            row.name: row.content
            for row in connection.execute(
                select(files_table.c.name, files_table.c.content).where(files_table.c.definition_id == definition_id)
            )
        }
        bundle = self._parse_stored(files, definition.process_key)
        if bundle.parser is None or bundle.main_process_id is None:
            raise DefinitionInvalid(
                f"Stored definition {definition.process_key} v{definition.version} no longer parses",
                findings=[finding.as_dict() for finding in bundle.findings],
            )
        return self._store(self._parsed(definition, bundle))

    def _store(self, parsed: ParsedDefinition) -> ParsedDefinition:
        with self._lock:
            return self._cache.setdefault(parsed.id, parsed)

    @staticmethod
    def _parsed(definition, bundle: ValidatedBundle) -> ParsedDefinition:
        """``definition``: a Definition entity or a row with the same columns."""
        key = bundle.main_process_id
        return ParsedDefinition(
            id=definition.id,
            process_key=definition.process_key,
            version=definition.version,
            spec=bundle.parser.get_spec(key),
            subprocess_specs=bundle.parser.get_subprocess_specs(key),
            forms=dict(bundle.forms),
        )


def _rehearsal(bundle: ValidatedBundle) -> dict | None:
    return bundle.rehearsal.as_dict() if bundle.rehearsal is not None else None


def latest_definition(session: Session, process_key: str) -> Definition:
    definition = session.scalar(
        select(Definition).where(Definition.process_key == process_key).order_by(Definition.version.desc()).limit(1)
    )
    if definition is None:
        raise NotFound(f"No procedure '{process_key}' is deployed", field="procedure", procedure=process_key)
    return definition


def _process_name(bundle: ValidatedBundle, key: str) -> str | None:
    if not bundle.ok:  # a draft's processes are not parsed into specs
        return None
    try:
        return bundle.parser.get_spec(key).description
    except Exception:  # the name is cosmetic; a parser quirk must not block a valid deploy
        return None


PROCEDURE_FILE_SUFFIXES = (".bpmn", ".dmn", ".json")


def files_from_folder(folder) -> dict[str, bytes]:
    """The files of one procedure folder (BPMN, DMN, JSON Schema forms), by file name."""
    from pathlib import Path

    return {
        path.name: path.read_bytes()
        for path in sorted(Path(folder).iterdir())
        if path.is_file() and path.suffix.lower() in PROCEDURE_FILE_SUFFIXES
    }
