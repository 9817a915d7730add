"""Connectors to other agencies' systems (電子閘門), as asynchronous service operations.

``AgencyConnectors(settings).register(operators)`` registers every operation of
``operations.OPERATIONS`` under its name; a BPMN service task names one in
``spiffworkflow:serviceTaskOperator``. Workers call them (never a request thread), each call a
real HTTP request to the agency's gateway (``client.AgencyClient``). ``health()`` is the
"agency gateway" health check. The simulator in ``simulator/`` plays the agencies on loopback.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

from engine import ServiceAnswer, ServiceCall, ServiceOperators

from .client import AgencyClient
from .operations import OPERATIONS, Operation
from .settings import AGENCIES, AgencySettings, load_agency_settings

__all__ = ["AgencyConnectors", "AgencySettings", "OPERATIONS", "load_agency_settings"]


class AgencyConnectors:
    def __init__(self, settings: AgencySettings | None = None) -> None:
        self.settings = settings or load_agency_settings()
        self.clients = {
            agency: AgencyClient(agency, self.settings.endpoints[agency], self.settings)
            for agency in AGENCIES
            if agency in self.settings.endpoints
        }

    def register(self, operators: ServiceOperators) -> None:
        for operation in OPERATIONS.values():
            if operation.agency in self.clients:
                operators.register_asynchronous(operation.name, self._caller(operation), operation.description)

    def _caller(self, operation: Operation):
        client = self.clients[operation.agency]

        def call(service_call: ServiceCall) -> ServiceAnswer:
            return client.perform(operation, service_call)

        return call

    def health(self) -> dict[str, Any]:
        """Down when a gateway does not accept connections or an agency's circuit is open."""
        reachable = {
            address: _accepts_connections(*address)
            for address in {_address(client.endpoint.base_url) for client in self.clients.values()}
        }
        agencies = {
            agency: {**client.health(), "reachable": reachable[_address(client.endpoint.base_url)]}
            for agency, client in self.clients.items()
        }
        healthy = all(item["reachable"] and item["state"] != "open" for item in agencies.values())
        return {"status": "ok" if healthy else "down", "agencies": agencies}


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def _accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False
