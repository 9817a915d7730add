"""A stand-in for the other agencies' gateways, over HTTP on loopback (development and tests).

``create_app()`` is a small Flask app that answers the five checks the connectors make, from the
invented records in ``records.py``, and misbehaves on request (``faults.py``): added latency,
hanging past the caller's timeout, 5xx answers, malformed JSON, a wrong content type.

Like a real gateway it honours the ``Idempotency-Key`` header: a request repeated with the same
key gets the first answer again and is not logged as a second query of the person's data. The
query log and request counters are what tests read to prove it (``GET /_admin/stats``).

Admin endpoints (loopback only, no authentication: never expose the simulator):
- ``GET /_admin/stats``: requests and queries per agency, and the query log (IDs masked);
- ``PUT /_admin/faults/<agency>``: set a fault (see ``faults.Fault``); ``DELETE /_admin/faults``: none;
- ``POST /_admin/reset``: forget faults, counters, the query log and idempotency keys.

Run it with ``python -m workflows.agencies.simulator --port 8100`` (``scripts/run.sh`` does).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable

from flask import Flask, Response, jsonify, request

from ...identifiers import mask_national_ids
from . import records
from .faults import Fault, FaultBook

# agency key -> URL prefix on the simulator (a real office has one base URL per agency).
PREFIXES = {
    "household_registration": "/household-registration",
    "land_registry": "/land-registry",
    "health_insurance": "/health-insurance",
    "criminal_records": "/criminal-records",
    "immigration": "/immigration",
}


class AgencyState:
    """Everything the simulator remembers between requests (thread-safe)."""

    def __init__(self, faults: dict[str, dict] | None = None) -> None:
        self.lock = threading.Lock()
        self.faults = FaultBook(faults)
        self.reset_counters()

    def reset_counters(self) -> None:
        with self.lock:
            self.requests = {agency: 0 for agency in PREFIXES}
            self.queries: list[dict[str, Any]] = []
            self.answers: dict[
                tuple[str, str], tuple[str, int, dict]
            ] = {}  # (agency, key) -> (body hash, status, answer)

    def stats(self) -> dict[str, Any]:
        with self.lock:
            per_agency = {
                agency: {"requests": count, "queries": sum(1 for q in self.queries if q["agency"] == agency)}
                for agency, count in self.requests.items()
            }
            return {"agencies": per_agency, "queries": [dict(query) for query in self.queries]}


def _answers() -> dict[str, tuple[str, Callable[[dict], dict]]]:
    """agency -> (path, function from the request body to the answer)."""
    return {
        "household_registration": ("/identity-checks", _identity_check),
        "land_registry": ("/ownership-checks", _ownership_check),
        "health_insurance": ("/enrolment-checks", _enrolment_check),
        "criminal_records": ("/record-checks", _record_check),
        "immigration": ("/residence-checks", _residence_check),
    }


def _identity_check(body: dict) -> dict:
    person = records.PEOPLE.get(body["national_id"])
    matches = person is not None and person.name == body["name"] and body.get("birth_date") in (None, person.birth_date)
    return {"match": matches, "record_status": person.record_status if matches else "no_match"}


def _ownership_check(body: dict) -> dict:
    owner = any(
        parcel.building_address == body["address"] and body["national_id"] in parcel.owners
        for parcel in records.PARCELS.values()
    )
    return {"owner": owner}


def _enrolment_check(body: dict) -> dict:
    enrolment = records.ENROLMENTS.get(body["national_id"])
    status = enrolment.status if enrolment else "not_found"
    return {"enrolled": status == "enrolled", "status": status, "since": enrolment.since if enrolment else None}


def _record_check(body: dict) -> dict:
    return {"has_record": body["national_id"] in records.CRIMINAL_RECORDS}


def _residence_check(body: dict) -> dict:
    permit = records.PERMITS.get(body["resident_number"])
    return {"status": permit.status if permit else "not_found", "valid_until": permit.valid_until if permit else None}


REQUIRED = {
    "household_registration": ("national_id", "name"),
    "land_registry": ("national_id", "address"),
    "health_insurance": ("national_id",),
    "criminal_records": ("national_id", "purpose"),
    "immigration": ("resident_number",),
}


def create_app(faults: dict[str, dict] | None = None) -> Flask:
    app = Flask(__name__)
    app.json.ensure_ascii = False
    state = app.extensions["agency_state"] = AgencyState(faults)
    for agency, (path, answer) in _answers().items():
        app.add_url_rule(PREFIXES[agency] + path, f"{agency}_check", _endpoint(state, agency, answer), methods=["POST"])
    _admin_routes(app, state)
    return app


def _endpoint(state: AgencyState, agency: str, answer: Callable[[dict], dict]):
    def handle():
        with state.lock:
            state.requests[agency] += 1
        fault = state.faults.take(agency)
        if fault.mode == "error":
            return _delayed(fault, jsonify(error="service unavailable"), fault.status)
        body = request.get_json(silent=True)
        missing = [name for name in REQUIRED[agency] if not isinstance(body, dict) or not body.get(name)]
        if missing:
            return jsonify(error=f"missing or empty: {', '.join(missing)}"), 422
        key = request.headers.get("Idempotency-Key") or ""
        status, result = _answer_once(state, agency, key, body, answer)
        if fault.mode == "malformed":
            return _delayed(
                fault,
                Response(
                    '{"reference": "' + result.get("reference", "") + '", "match": tru',
                    200,
                    mimetype="application/json",
                ),
            )
        if fault.mode == "wrong_content_type":
            return _delayed(fault, Response("<html><body>Maintenance</body></html>", 200, mimetype="text/html"))
        return _delayed(fault, jsonify(result), status)

    return handle


def _answer_once(state: AgencyState, agency: str, key: str, body: dict, answer) -> tuple[int, dict]:
    """The answer for this request; the stored one when the key was seen (a retried call)."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    with state.lock:
        seen = state.answers.get((agency, key)) if key else None
        if seen is not None:
            if seen[0] != digest:
                return 422, {"error": "this Idempotency-Key was used for another request"}
            return seen[1], seen[2]
        reference = f"{agency[:2].upper()}-{len(state.queries) + 1:06d}"
        result = {**answer(body), "reference": reference}
        state.queries.append(
            {
                "agency": agency,
                "reference": reference,
                "idempotency_key": key or None,
                "request": mask_national_ids(body),
                "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            }
        )
        if key:
            state.answers[(agency, key)] = (digest, 200, result)
        return 200, result


def _delayed(fault: Fault, response, status: int | None = None):
    """Answer after the fault's latency (a slow agency) or after hanging (past any timeout)."""
    pause = fault.latency_ms / 1000 + (fault.hang_seconds if fault.mode == "hang" else 0)
    if pause:
        time.sleep(pause)
    return (response, status) if status is not None else response


def _admin_routes(app: Flask, state: AgencyState) -> None:
    @app.get("/health")
    def health():
        return jsonify(status="ok")

    @app.get("/_admin/stats")
    def stats():
        return jsonify(state.stats())

    @app.put("/_admin/faults/<agency>")
    def set_fault(agency):
        if agency not in PREFIXES:
            return jsonify(error=f"unknown agency {agency!r}; known: {', '.join(PREFIXES)}"), 404
        try:
            fault = Fault.from_dict(request.get_json(silent=True) or {})
        except (TypeError, ValueError) as error:
            return jsonify(error=str(error)), 422
        state.faults.set(agency, fault)
        return jsonify(agency=agency, fault=fault.as_dict())

    @app.delete("/_admin/faults")
    def clear_faults():
        state.faults.clear()
        return "", 204

    @app.post("/_admin/reset")
    def reset():
        state.faults.clear()
        state.reset_counters()
        return "", 204
