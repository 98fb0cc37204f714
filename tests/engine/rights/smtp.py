"""A real SMTP server for the tests (aiosmtpd in a thread on 127.0.0.1): plain, or TLS with a
login, holding what it received."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER = "privaat"
PASSWORD = "smtp-test-password"


@dataclass
class Inbox:
    """What the server accepted: each message with its envelope recipients."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refuse: bool = False  # answer 554 to every message

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.refuse:
            return "554 5.7.1 refused for testing"
        raw = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _authenticate(
    _server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        mechanism in ("LOGIN", "PLAIN")
        and isinstance(data, LoginPassword)
        and data.login == USER.encode()
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # the server answers 235 or 535


@contextmanager
def smtp_server(tls_dir: Path | None = None) -> Iterator[tuple[Inbox, int, ssl.SSLContext | None]]:
    """Run a server until the block ends: (inbox, port, the client's TLS context or None).

    With `tls_dir` the server speaks TLS from the first byte (smtps) with a certificate made
    for 127.0.0.1, and checks the login."""
    inbox = Inbox()
    port = free_port()
    client_context: ssl.SSLContext | None = None
    kwargs: dict[str, Any] = {}
    if tls_dir is not None:
        cert, key = _certificate(tls_dir)
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_context.load_cert_chain(cert, key)
        client_context = ssl.create_default_context(cafile=str(cert))
        kwargs = {
            "ssl_context": server_context,
            "authenticator": _authenticate,
            # aiosmtpd counts only STARTTLS as TLS, and warns when AUTH is required without
            # it: this connection is TLS from its first byte, and a wrong login is refused
            "auth_require_tls": False,
        }
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield inbox, port, client_context
    finally:
        controller.stop()


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.pem", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
