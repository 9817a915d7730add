"""RFC 3161 timestamps over signed roots: a timestamp authority (TSA) the office does not control
signed that it saw a day's signed root (its exact statement bytes) at a given time.

The office stores the TSA's whole response (DER, base64) with the root. Checking it needs the
TSA's certificate (or the CA certificate that issued it), which the bureau gets from the TSA,
not from the office. The parsing and the CMS signature check are the ``rfc3161-client``
package's (Trail of Bits; also used by Sigstore).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from cryptography import x509
from rfc3161_client import HashAlgorithm, TimestampRequestBuilder, VerificationError, VerifierBuilder
from rfc3161_client import decode_timestamp_response as _decode

from verifier.statements import statement_bytes, unb64


@dataclass(frozen=True)
class Stamp:
    time: datetime
    serial_number: int


def request_for(message: bytes) -> bytes:
    """The DER TimeStampReq for ``message`` (SHA-256 imprint, with a nonce, asking for the TSA's
    certificate in the answer)."""
    return TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256).build().as_bytes()


def read_response(der: bytes, message: bytes) -> Stamp:
    """The time a TSA response attests for ``message``; ValueError if it does not answer for it."""
    response = _decode(der)
    if response.status not in (0, 1):  # granted, granted with modifications
        raise ValueError(f"the timestamp authority refused: status {response.status}")
    if response.tst_info.message_imprint.message != hashlib.sha256(message).digest():
        raise ValueError("the timestamp is for other data")
    return Stamp(response.tst_info.gen_time, response.tst_info.serial_number)


def load_certificates(pem: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem)


def problem_with(signed_root: Mapping, certificates: list[x509.Certificate]) -> str | None:
    """Why a signed root's timestamp does not hold (or None): the TSA's signature against the
    given certificates, and that it stamps exactly this root's statement."""
    stamp = signed_root.get("timestamp")
    if not stamp:
        return "it has no timestamp"
    message = statement_bytes(signed_root)
    try:
        response = _decode(unb64(stamp["response"]))
    except (ValueError, KeyError) as error:
        return f"its timestamp cannot be read: {error}"
    if response.tst_info.message_imprint.message != hashlib.sha256(message).digest():
        return "its timestamp was given for another root: the root differs from the one the timestamp authority saw"
    errors = []
    for root in certificates:
        try:
            VerifierBuilder().add_root_certificate(root).build().verify_message(response, message)
            return None
        except (VerificationError, ValueError) as error:
            errors.append(str(error))
    return f"its timestamp's signature does not hold with the given certificates: {'; '.join(errors) or 'none given'}"
