"""The web application: static HTML, CSS and ES modules that speak only to the public API.

The pages are plain files in ``static/``; the browser libraries (bpmn-js, Chart.js, the
properties panel's styles, axe-core for the accessibility tests) are served from the npm packages
that ``scripts/setup.sh`` installs into ``node_modules/`` (only the folders listed in VENDOR).
One bundle is built: the designer's kit (``kit/designer-kit.js``: the modeller with the properties
panel, whose ES modules import bare package names a browser cannot resolve), by ``npm run build``
into ``dist/``, which setup.sh runs after ``npm ci``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, redirect, send_from_directory

ROOT = Path(__file__).resolve().parents[2]
STATIC = Path(__file__).resolve().parent / "static"
NODE_MODULES = ROOT / "node_modules"
BUILT = Path(__file__).resolve().parent / "dist"

# The browser files the app loads: a package's dist files and the built kit, nothing else.
VENDOR = {
    "bpmn-js": NODE_MODULES / "bpmn-js/dist",
    "chart.js": NODE_MODULES / "chart.js/dist",
    "axe-core": NODE_MODULES / "axe-core",
    "properties-panel": NODE_MODULES / "@bpmn-io/properties-panel/dist/assets",
    "kit": BUILT,
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
    return send_from_directory(folder, filename, max_age=3600)
