#!/usr/bin/env bash
# Create the virtualenv and install the pinned dependencies (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt
# onestop itself, editable: the `onestop` console command (pyproject.toml) runs this checkout.
.venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
# The web app's browser libraries (bpmn-js, Chart.js, axe-core, the properties panel), served
# from node_modules/; then the one build step: the designer's kit (modeller + properties panel)
# bundled by esbuild into api/web/dist/ (docs/web.md).
if command -v npm >/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  npm run --silent build -- --log-level=warning
else
  echo "npm is missing: the web app's pages need node_modules/ (bpmn-js, Chart.js, axe-core)" >&2
fi
