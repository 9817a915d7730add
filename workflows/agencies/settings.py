"""Where each agency's gateway is and how to call it, from environment variables.

- ``ONESTOP_AGENCY_URL``: one base URL under which every agency answers at its own prefix
  (``/household-registration``, ``/land-registry``, ...): the simulator, or an office's own
  gateway proxy. Default ``http://127.0.0.1:8100`` (the simulator as ``scripts/run.sh`` starts it).
- ``ONESTOP_AGENCY_<AGENCY>_URL``: the base URL of one agency's gateway (wins over the above).
  ``<AGENCY>`` is HOUSEHOLD_REGISTRATION, LAND_REGISTRY, HEALTH_INSURANCE, CRIMINAL_RECORDS or
  IMMIGRATION.
- ``ONESTOP_AGENCY_<AGENCY>_TOKEN``: sent as ``Authorization: Bearer <token>`` (optional).
- ``ONESTOP_AGENCY_<AGENCY>_CLIENT_CERT`` / ``..._CLIENT_KEY``: PEM files for mutual TLS (optional).
- ``ONESTOP_AGENCY_CA_BUNDLE``: a CA file to verify the gateways' certificates (default: the
  system's).
- ``ONESTOP_AGENCY_TIMEOUT`` (seconds, default 5) and ``ONESTOP_AGENCY_<AGENCY>_TIMEOUT``: how
  long one call may wait for the connection and for each read.
- ``ONESTOP_AGENCY_BREAKER_FAILURES`` (default 5) and ``ONESTOP_AGENCY_BREAKER_RESET_SECONDS``
  (default 30): failures in a row that open an agency's circuit, and how long it stays open.

See docs/agencies.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

DEFAULT_BASE_URL = "http://127.0.0.1:8100"

# agency key -> (prefix under a shared base URL, name shown in evidence)
AGENCIES = {
    "household_registration": ("/household-registration", "內政部戶政司 戶役政資訊系統 Household registration"),
    "land_registry": ("/land-registry", "內政部地政司 地政資訊 Land registry"),
    "health_insurance": ("/health-insurance", "衛生福利部中央健康保險署 National Health Insurance"),
    "criminal_records": ("/criminal-records", "法務部 刑案資料 Criminal records"),
    "immigration": ("/immigration", "內政部移民署 Immigration"),
}


@dataclass(frozen=True)
class AgencyEndpoint:
    base_url: str
    timeout_seconds: float = 5.0
    token: str | None = None
    client_cert: tuple[str, str] | None = None


@dataclass(frozen=True)
class AgencySettings:
    endpoints: dict[str, AgencyEndpoint] = field(default_factory=dict)
    ca_bundle: str | None = None
    breaker_failures: int = 5
    breaker_reset_seconds: float = 30.0

    @classmethod
    def all_at(cls, base_url: str, **options) -> AgencySettings:
        """Every agency under one base URL (the simulator), with the same timeout."""
        timeout = options.pop("timeout_seconds", 5.0)
        endpoints = {
            key: AgencyEndpoint(base_url.rstrip("/") + prefix, timeout) for key, (prefix, _name) in AGENCIES.items()
        }
        return cls(endpoints=endpoints, **options)

    def with_endpoint(self, agency: str, **changes) -> AgencySettings:
        return replace(self, endpoints={**self.endpoints, agency: replace(self.endpoints[agency], **changes)})


def load_agency_settings(environ: dict | None = None) -> AgencySettings:
    env = environ if environ is not None else os.environ
    base = env.get("ONESTOP_AGENCY_URL", DEFAULT_BASE_URL).rstrip("/")
    default_timeout = float(env.get("ONESTOP_AGENCY_TIMEOUT", "5"))
    endpoints = {}
    for key, (prefix, _name) in AGENCIES.items():
        name = f"ONESTOP_AGENCY_{key.upper()}"
        cert, cert_key = env.get(f"{name}_CLIENT_CERT"), env.get(f"{name}_CLIENT_KEY")
        endpoints[key] = AgencyEndpoint(
            base_url=(env.get(f"{name}_URL") or base + prefix).rstrip("/"),
            timeout_seconds=float(env.get(f"{name}_TIMEOUT", default_timeout)),
            token=env.get(f"{name}_TOKEN") or None,
            client_cert=(cert, cert_key) if cert and cert_key else None,
        )
    return AgencySettings(
        endpoints=endpoints,
        ca_bundle=env.get("ONESTOP_AGENCY_CA_BUNDLE") or None,
        breaker_failures=int(env.get("ONESTOP_AGENCY_BREAKER_FAILURES", "5")),
        breaker_reset_seconds=float(env.get("ONESTOP_AGENCY_BREAKER_RESET_SECONDS", "30")),
    )
