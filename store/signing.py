"""Ed25519 keys for the signed log of run heads (`store.headlog`).

The signing key lives in a PEM file the database never holds; verifying needs only
public keys. A key's id is the first 16 hex digits of SHA-256 over its raw public bytes,
recorded with every signature, so several keys can be trusted at once (rotation).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = ["Signer", "SigningKeyError", "TrustedKeys", "key_id", "load_public_keys", "public_pem"]


class SigningKeyError(ValueError):
    """A key file is missing or is not an Ed25519 key."""


def key_id(public: Ed25519PublicKey) -> str:
    """The short id of a public key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    """A public key as PEM (SubjectPublicKeyInfo)."""
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _create(path: Path) -> None:
    """Write a new private key to `path` with 0600 permissions; a key already there wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.close(fd)
        with contextlib.suppress(FileExistsError):  # another process made one first: it wins
            os.link(tmp, path)  # atomic
    finally:
        os.unlink(tmp)


class Signer:
    """Signs with the Ed25519 private key in a PEM file, read on first use.

    With `create`, a missing file is generated (the development default).
    """

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        self.create = create
        self._key: Ed25519PrivateKey | None = None

    def _private(self) -> Ed25519PrivateKey:
        if self._key is None:
            if self.create and not self.path.exists():
                _create(self.path)
            try:
                key = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
            except OSError as exc:
                raise SigningKeyError(
                    f"cannot read the signing key {str(self.path)!r}: {exc.strerror}"
                ) from None
            except ValueError:
                raise SigningKeyError(
                    f"the signing key {str(self.path)!r} is not a PEM private key"
                ) from None
            if not isinstance(key, Ed25519PrivateKey):
                raise SigningKeyError(f"the signing key {str(self.path)!r} is not an Ed25519 key")
            self._key = key
        return self._key

    @property
    def public(self) -> Ed25519PublicKey:
        """The matching public key."""
        return self._private().public_key()

    @property
    def key_id(self) -> str:
        """The id of the public key."""
        return key_id(self.public)

    def sign(self, message: bytes) -> str:
        """An Ed25519 signature of `message`, base64."""
        return base64.b64encode(self._private().sign(message)).decode()


class TrustedKeys:
    """Public keys trusted to have signed log entries, by key id."""

    def __init__(self, keys: list[Ed25519PublicKey] | None = None) -> None:
        self.keys = {key_id(k): k for k in keys or []}

    def verify(self, kid: str | None, message: bytes, signature: str | None) -> str | None:
        """None when `signature` is a valid signature of `message` by trusted key `kid`;
        otherwise what is wrong, in words."""
        if not signature or not kid:
            return "it is not signed"
        key = self.keys.get(kid)
        if key is None:
            return f"it is signed by key {kid}, which is not trusted"
        try:
            key.verify(base64.b64decode(signature, validate=True), message)
        except (InvalidSignature, ValueError):
            return f"its signature by key {kid} is not valid"
        return None


def _public_from(path: Path) -> Ed25519PublicKey:
    data = path.read_bytes()
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except (ValueError, TypeError):
            raise SigningKeyError(f"{str(path)!r} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{str(path)!r} is not an Ed25519 key")
    return key


def load_public_keys(path: Path) -> list[Ed25519PublicKey]:
    """The Ed25519 public keys in a PEM file, or in every *.pem file of a folder."""
    try:
        files = sorted(path.glob("*.pem")) if path.is_dir() else [path]
        return [_public_from(f) for f in files]
    except OSError as exc:
        raise SigningKeyError(f"cannot read trusted keys from {str(path)!r}: {exc.strerror}") from None
