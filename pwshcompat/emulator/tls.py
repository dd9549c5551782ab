"""TLS for the emulator's sign-in endpoint: a throw-away CA and a loopback server certificate.

msal only talks to an ``https`` authority, and clients must keep certificate verification on.
So the emulator makes its own certificate authority once per process, issues a certificate for
``127.0.0.1``/``::1``/``localhost`` with it, and exposes the CA's PEM file (``Emulator.ca_bundle``)
for clients to trust explicitly (``requests.get(url, verify=emu.ca_bundle)``).
Keys are EC P-256: generating them takes milliseconds, so every test process can afford one.

An emulator bound to another address (``--host 0.0.0.0``) gets a certificate that also names this
machine (its host name, FQDN and addresses), so other machines can reach the sign-in URL.
Every server certificate carries the CA file's ``file:`` URI in its subjectAltName: a client that
does not trust the CA can then say which file to trust (:func:`untrusted_emulator_hint`).
"""

from __future__ import annotations

import atexit
import hashlib
import ipaddress
import shutil
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import cast
from urllib.parse import unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class TlsFiles:
    ca_bundle: Path     # the CA certificate (PEM) clients trust
    cert_chain: Path    # server certificate followed by the CA (PEM)
    key: Path           # server private key (PEM, unencrypted, mode 0600)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_chain, self.key)
        return context


ORGANIZATION = "pwshcompat emulator"
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

_lock = threading.Lock()
_files: TlsFiles | None = None
_ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None = None
_contexts: dict[tuple[str, ...], ssl.SSLContext] = {}


def tls_files() -> TlsFiles:
    """This process's CA and loopback certificate, created on first use in a private temp dir."""
    global _files
    with _lock:
        if _files is None:
            _files = _generate(Path(tempfile.mkdtemp(prefix="pwshcompat-emulator-tls-")))
        return _files


def server_context(host: str = "127.0.0.1") -> ssl.SSLContext:
    """The server context for an emulator bound to ``host``: loopback names, plus this machine's
    names and addresses when ``host`` is not loopback (``0.0.0.0``, ``::`` or an address)."""
    names = _machine_names(host)
    if not names:
        return tls_files().server_context()
    files = tls_files()
    with _lock:
        if names not in _contexts:
            assert _ca is not None
            stem = "server-" + hashlib.sha256("\0".join(names).encode()).hexdigest()[:12]
            chain, key = files.ca_bundle.with_name(stem + "-chain.pem"), files.ca_bundle.with_name(stem + "-key.pem")
            _write_leaf(*_ca, files.ca_bundle, (*_LOOPBACK_NAMES, *names), chain, key)
            _contexts[names] = TlsFiles(files.ca_bundle, chain, key).server_context()
        return _contexts[names]


def _machine_names(host: str) -> tuple[str, ...]:
    """Names other machines may use for an emulator bound to ``host`` (empty for loopback)."""
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return ()
    except ValueError:
        if host.lower() in ("localhost", ""):
            return ()
    names = {host} if host not in ("0.0.0.0", "::") else set()
    for name in (socket.gethostname(), socket.getfqdn()):
        if name:
            names.add(name)
            try:
                names.update(str(info[4][0]) for info in socket.getaddrinfo(name, None))
            except OSError:
                pass
    return tuple(sorted(n for n in names if n not in _LOOPBACK_NAMES))


def untrusted_emulator_hint(url: str, error: BaseException, timeout: float = 2.0) -> str | None:
    """Why ``url``'s certificate is not trusted, if it is a pwshcompat emulator on this machine.

    Called by clients with the TLS ``error`` they got. When it is a certificate verification
    failure for an ``https`` URL on a loopback address, this reads the server certificate (a
    handshake without verification; nothing is sent) and, if a pwshcompat emulator issued it,
    returns a sentence naming the CA file to trust and ``REQUESTS_CA_BUNDLE``. Returns None
    otherwise (another error, another server, any failure while looking).
    """
    if "certificate verify failed" not in str(error).lower():
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" or not (host == "localhost" or _is_loopback_address(host)):
        return None
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with socket.create_connection((host, parts.port or 443), timeout=timeout) as sock:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
        cert = x509.load_der_x509_certificate(der or b"")
        organizations = cert.issuer.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        if not organizations or organizations[0].value != ORGANIZATION:
            return None
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        files = [unquote(urlsplit(uri).path) for uri in names.get_values_for_type(x509.UniformResourceIdentifier)
                 if uri.startswith("file:")]
    except (OSError, ValueError, x509.ExtensionNotFound):
        return None
    origin = f"https://{parts.netloc}"
    if not files:
        return None
    return (f"{origin} is a pwshcompat emulator whose certificate authority is not trusted here: trust it "
            f"with REQUESTS_CA_BUNDLE={files[0]} (the file its 'CA bundle:' line names).")


def _is_loopback_address(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _generate(directory: Path) -> TlsFiles:
    """The CA (kept in memory to issue more leaves) and the loopback leaf, written to ``directory``."""
    global _ca
    atexit.register(shutil.rmtree, directory, True)
    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("pwshcompat emulator local CA")
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = TlsFiles(directory / "ca.pem", directory / "server-chain.pem", directory / "server-key.pem")
    files.ca_bundle.write_bytes(ca.public_bytes(pem))
    _write_leaf(ca_key, ca, files.ca_bundle, _LOOPBACK_NAMES, files.cert_chain, files.key)
    _ca = (ca_key, ca)
    return files


def _write_leaf(ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, ca_bundle: Path,
                names: tuple[str, ...], chain: Path, key_file: Path) -> None:
    """A server certificate for ``names`` (DNS names or IP addresses) and the CA file's URI."""
    now = datetime.now(timezone.utc)
    alt_names: list[x509.GeneralName] = []
    for name in names:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name.split("%", 1)[0])))
        except ValueError:
            alt_names.append(x509.DNSName(name))
    alt_names.append(x509.UniformResourceIdentifier(ca_bundle.as_uri()))
    # The key is written out below: cryptography's own name for a key with private_bytes (the same
    # class since 3.4; python3-typeshed's stubs still describe the older split).
    key = cast(ec.EllipticCurvePrivateKeyWithSerialization, ec.generate_private_key(ec.SECP256R1()))
    leaf = (
        x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    chain.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_file.touch(mode=0o600)
    key_file.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
