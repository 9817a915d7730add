"""A real RFC 3161 timestamp authority on loopback, for the tests: OpenSSL's ``ts -reply`` behind a
small HTTP server (``POST`` application/timestamp-query, answer application/timestamp-reply),
with a CA and a TSA certificate made for the run (the TSA's with the critical timeStamping
extended key usage RFC 3161 requires)."""

from __future__ import annotations

import subprocess
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPENSSL_CONFIG = """
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {folder}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, public_key, signing_key, *, ca: bool) -> x509.Certificate:
    now = datetime.now(timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=3650))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(signing_key, hashes.SHA256())


class LocalTsa:
    """Start with ``with LocalTsa() as tsa``; ``tsa.url`` takes requests, ``tsa.ca_pem`` is the
    certificate a verifier trusts; ``tsa.requests`` counts the stamps given."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="onestop-tsa-"))
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _certificate(_name("onestop test CA"), _name("onestop test CA"), ca_key.public_key(), ca_key, ca=True)
        tsa_key = ec.generate_private_key(ec.SECP256R1())
        tsa = _certificate(_name("onestop test TSA"), ca.subject, tsa_key.public_key(), ca_key, ca=False)
        self.ca_pem = ca.public_bytes(serialization.Encoding.PEM)
        (self.folder / "tsa.pem").write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
        (self.folder / "tsa.key").write_bytes(
            tsa_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        (self.folder / "serial").write_text("01\n")
        (self.folder / "openssl.cnf").write_text(OPENSSL_CONFIG.format(folder=self.folder))
        self.requests = 0
        self.refuse = False
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsr"

    def stamp(self, request: bytes) -> bytes:
        with self._lock, tempfile.TemporaryDirectory() as work:
            query, reply = Path(work) / "query.tsq", Path(work) / "reply.tsr"
            query.write_bytes(request)
            subprocess.run(
                ["openssl", "ts", "-reply", "-config", str(self.folder / "openssl.cnf"), "-queryfile", str(query)]
                + ["-out", str(reply)],
                check=True,
                capture_output=True,
            )
            self.requests += 1
            return reply.read_bytes()

    def _handler(self):
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if tsa.refuse or self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_response(503 if tsa.refuse else 415)
                    self.end_headers()
                    return
                answer = tsa.stamp(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self) -> LocalTsa:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
