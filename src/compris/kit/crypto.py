"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from the secret key."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken


class SecretsError(Exception):
    pass


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"compris-credentials:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_json(secret_key: str, data: dict[str, str]) -> str:
    return _fernet(secret_key).encrypt(json.dumps(data).encode()).decode()


def decrypt_json(secret_key: str, token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        data = json.loads(_fernet(secret_key).decrypt(token.encode()))
    except InvalidToken:
        raise SecretsError("credentials cannot be decrypted: was COMPRIS_SECRET_KEY changed?") from None
    return {str(k): str(v) for k, v in data.items()}


def redact(value: str) -> str:
    """What an admin sees of a stored secret: never more than its last four characters."""
    if len(value) <= 8:
        return "••••"
    return "••••" + value[-4:]
