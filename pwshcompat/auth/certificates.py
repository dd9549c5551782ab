"""Client certificates for Connect-MgGraph's certificate flows, read without .NET.

Where a certificate can come from (auth-and-pain.md §A.2):

* ``-CertificateThumbprint`` / ``-CertificateSubjectName``: the .NET ``CurrentUser\\My`` store.
  On Linux .NET keeps that store as the directory ``~/.dotnet/corefx/cryptography/x509stores/my/``
  of ``<THUMBPRINT>.pfx`` files (PKCS#12 without a password), which we read directly. The original
  also tries ``LocalMachine\\My``, which .NET does not offer on Linux. Of several matches, only
  certificates valid now are kept and the newest ``NotBefore`` wins, as in the original.
* ``-Certificate``: from PowerShell an ``X509Certificate2`` arrives as
  ``{"Thumbprint", "Subject", "Pkcs12"}`` (the shared bridge contract; ``Pkcs12`` is None when the
  private key is not exportable). From Python it may also be such a dict, or the path of a PFX
  file or of a PEM file holding the private key and the certificate (our documented extension;
  PowerShell itself turns a path string into an ``X509Certificate2``).
* ``AZURE_CLIENT_CERTIFICATE_PATH`` (``-EnvironmentVariable``): a PEM or PFX file, with
  ``AZURE_CLIENT_CERTIFICATE_PASSWORD`` for an encrypted one.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ..errors import ErrorCategory, ErrorRecord, TerminatingError

__all__ = ["ClientCertificate", "from_file", "from_value", "store_directory", "find_by_subject", "find_by_thumbprint"]


@dataclass(frozen=True)
class ClientCertificate:
    """A certificate with its private key, in the shape msal's ``client_credential`` wants."""

    thumbprint: str  # SHA-1, upper-case hex, as .NET shows it
    subject: str
    private_key_pem: str
    certificate_pem: str
    not_before: dt.datetime
    not_after: dt.datetime

    def msal_credential(self, send_certificate_chain: bool = False) -> dict[str, str]:
        cred = {"private_key": self.private_key_pem, "thumbprint": self.thumbprint}
        if send_certificate_chain:
            cred["public_certificate"] = self.certificate_pem  # msal then sends x5c (SNI auth)
        return cred

    def valid_now(self) -> bool:
        now = dt.datetime.now(dt.timezone.utc)
        return self.not_before <= now <= self.not_after


def _error(message: str, error_id: str, target: Any = None) -> TerminatingError:
    return TerminatingError(ErrorRecord(message, error_id, ErrorCategory.InvalidArgument, target))


def _dotnet_subject(cert: x509.Certificate) -> str:
    """The subject the way .NET prints ``X509Certificate2.Subject``: most specific RDN first."""
    return ", ".join(rdn.rfc4514_string() for rdn in reversed(cert.subject.rdns))


def _build(key: Any, cert: x509.Certificate | None, origin: str) -> ClientCertificate:
    if key is None or cert is None:
        raise _error(f"The certificate from {origin} has no private key; a client certificate needs one.",
                     "CertificateWithoutPrivateKey", origin)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return ClientCertificate(
        thumbprint=cert.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S303 - the thumbprint is SHA-1 by definition
        subject=_dotnet_subject(cert),
        private_key_pem=key_pem,
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        not_before=cert.not_valid_before.replace(tzinfo=dt.timezone.utc),
        not_after=cert.not_valid_after.replace(tzinfo=dt.timezone.utc),
    )


def _load_bytes(data: bytes, password: str | None, origin: str) -> ClientCertificate:
    secret = password.encode() if password else None
    cert: x509.Certificate | None
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_private_key(data, secret)
            cert = x509.load_pem_x509_certificate(data)
        except (ValueError, TypeError) as exc:
            raise _error(f"The PEM file {origin} must hold a private key and a certificate: {exc}",
                         "InvalidCertificate", origin) from None
        return _build(key, cert, origin)
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, secret)
    except (ValueError, TypeError):
        raise _error(f"{origin} is not a PKCS#12 (PFX) or PEM certificate, or its password is wrong.",
                     "InvalidCertificate", origin) from None
    return _build(key, cert, origin)


def from_file(path: str | os.PathLike[str], password: str | None = None) -> ClientCertificate:
    p = Path(path).expanduser()
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise _error(f"Cannot read the certificate file '{p}': {exc.strerror}.", "CertificateFileNotFound", str(p)) from None
    return _load_bytes(data, password, f"'{p}'")


def from_value(value: Any) -> ClientCertificate:
    """``-Certificate`` as it arrives: the bridge's dict, a file path, or PFX/PEM bytes."""
    if isinstance(value, ClientCertificate):
        return value
    if isinstance(value, dict):
        blob = value.get("Pkcs12")
        thumb = value.get("Thumbprint") or "the given certificate"
        if not blob:
            raise _error(f"The private key of certificate {thumb} cannot be exported, so it cannot be used to sign in.",
                         "CertificateWithoutPrivateKey", thumb)
        return _load_bytes(base64.b64decode(blob), None, f"certificate {thumb}")
    if isinstance(value, (bytes, bytearray)):
        return _load_bytes(bytes(value), None, "the given bytes")
    if isinstance(value, (str, os.PathLike)):
        return from_file(value)
    raise _error(f"Cannot use a value of type {type(value).__name__} as -Certificate.", "InvalidCertificate")


def store_directory() -> Path:
    """The CurrentUser\\My store as .NET keeps it on Linux."""
    return Path(os.path.expanduser("~")) / ".dotnet" / "corefx" / "cryptography" / "x509stores" / "my"


def _store_entries() -> list[ClientCertificate]:
    found = []
    directory = store_directory()
    for pfx in sorted(directory.glob("*.pfx")) if directory.is_dir() else ():
        try:
            found.append(_load_bytes(pfx.read_bytes(), None, f"'{pfx}'"))
        except TerminatingError:
            continue  # a store entry without a usable key is simply not a candidate
    return found


def _newest_valid(candidates: list[ClientCertificate]) -> ClientCertificate | None:
    valid = [c for c in candidates if c.valid_now()]
    return max(valid, key=lambda c: c.not_before) if valid else None


def find_by_thumbprint(thumbprint: str) -> ClientCertificate:
    wanted = thumbprint.strip().upper()
    if len(wanted) != 40:
        raise _error(f"The certificate thumbprint '{thumbprint}' is not valid: a thumbprint has 40 hexadecimal characters.",
                     "InvalidCertificateThumbprint", thumbprint)
    found = _newest_valid([c for c in _store_entries() if c.thumbprint == wanted])
    if found is None:
        raise _error(f"No valid certificate with thumbprint {wanted} was found in the CurrentUser\\My store.",
                     "CertificateNotFound", thumbprint)
    return found


def find_by_subject(subject: str) -> ClientCertificate:
    wanted = subject.strip().lower()
    if not wanted.startswith("cn="):
        wanted = "cn=" + wanted  # the original accepts a bare common name too
    def matches(c: ClientCertificate) -> bool:
        s = c.subject.lower()
        return s == wanted or wanted in s.split(", ")
    found = _newest_valid([c for c in _store_entries() if matches(c)])
    if found is None:
        raise _error(f"No valid certificate with subject '{subject}' was found in the CurrentUser\\My store.",
                     "CertificateNotFound", subject)
    return found
