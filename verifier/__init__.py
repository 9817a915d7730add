"""The offline verifier: checks what the office exports against what the bureau holds.

It needs no database and imports nothing of onestop's (only the standard library,
``cryptography`` and ``rfc3161-client``), so an auditor can read it whole and run it on a laptop
with the exported files. The office's code uses the same algorithms from here to build what it
exports. The algorithm, step by step: docs/integrity.md. The command: ``python -m verifier``.
"""
