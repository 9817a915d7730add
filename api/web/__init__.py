"""The web application: static HTML, CSS and ES modules that speak only to the public API.

No build step: the pages are plain files in ``static/``; the browser libraries (bpmn-js,
Chart.js, axe-core for the accessibility tests) are served from the npm packages that
``scripts/setup.sh`` installs into ``node_modules/`` (only the files listed in VENDOR).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, redirect, send_from_directory

ROOT = Path(__file__).resolve().parents[2]
STATIC = Path(__file__).resolve().parent / "static"
NODE_MODULES = ROOT / "node_modules"

# The browser files the app loads: a package's dist files, nothing else from node_modules.
VENDOR = {
    "bpmn-js": "bpmn-js/dist",
    "chart.js": "chart.js/dist",
    "axe-core": "axe-core",
}

blp = Blueprint("web", __name__)


@blp.get("/")
def home():
    return redirect("/app/", code=302)


@blp.get("/app/")
def index():
    return send_from_directory(STATIC, "index.html", max_age=0)


@blp.get("/app/static/<path:filename>")
def static_file(filename):
    return send_from_directory(STATIC, filename, max_age=0)


@blp.get("/app/vendor/<string:package>/<path:filename>")
def vendor_file(package, filename):
    folder = VENDOR.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(NODE_MODULES / folder, filename, max_age=3600)
