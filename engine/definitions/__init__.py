"""Procedure definitions: validation of uploaded bundles (XML safety, encodings, limits, the
parser's errors in plain words), deployment, and the designer's tools (import fixes, lint, diff
between versions, dry run). Findings (``Finding``) are how every problem is reported."""

from engine.definitions.deployments import Deployments, ParsedDefinition, files_from_folder
from engine.definitions.diff import diff_bundles, diff_versions
from engine.definitions.dry_run import DEFAULT_MAX_STEPS, dry_run, synchronous_script_engine, wall_clock_now
from engine.definitions.findings import ERROR, FIXABLE, NOTE, WARNING, Finding, has_errors
from engine.definitions.fixes import FIXES, apply_fixes, fix_implicit_splits
from engine.definitions.kinds import ASSIGN_LANE, IMPLICIT_SPLITS, KINDS, MAKE_EXECUTABLE
from engine.definitions.lint import RULES, lint_bundle
from engine.definitions.validation import ValidatedBundle, validate_bundle

__all__ = [
    "ASSIGN_LANE",
    "IMPLICIT_SPLITS",
    "MAKE_EXECUTABLE",
    "DEFAULT_MAX_STEPS",
    "ERROR",
    "FIXABLE",
    "FIXES",
    "KINDS",
    "NOTE",
    "RULES",
    "WARNING",
    "Deployments",
    "Finding",
    "ParsedDefinition",
    "ValidatedBundle",
    "apply_fixes",
    "diff_bundles",
    "diff_versions",
    "dry_run",
    "files_from_folder",
    "fix_implicit_splits",
    "has_errors",
    "lint_bundle",
    "synchronous_script_engine",
    "validate_bundle",
    "wall_clock_now",
]
