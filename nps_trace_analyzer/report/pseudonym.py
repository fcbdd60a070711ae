"""Keyed, readable pseudonyms: the same identifier always gets the same stand-in under the same key.

Why keyed (HMAC-SHA256) rather than a plain hash: user names and private addresses are guessable, so an unkeyed
hash could be reversed by hashing candidate names. With a secret key the stand-in reveals nothing, yet a support
engineer who reuses the key (``--redact-key``) gets the same pseudonym for the same user across runs and bundles,
so cases can be compared. Without a key a random one is drawn per run.

Pseudonyms keep the *kind* of the value (``user-…``, ``host-…``, ``ip-…``, a GUID shape for GUIDs) so the report
still reads naturally; the original is only recoverable through the mapping the :class:`Pseudonyms` object keeps
(written to ``--redact-map`` when asked, never into the report folder).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Hex digits of the digest shown: 8 (32 bits) makes a clash between two of 100,000 identifiers of one kind
# unlikely; a clash is still detected and the later value gets the full 16 digits.
SHORT = 8
LONG = 16


class Pseudonyms:
    """Maps ``(kind, normalised value)`` to a stable token and remembers the way back."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key else secrets.token_bytes(32)
        self._tokens: dict[tuple[str, str], str] = {}
        self._owner: dict[tuple[str, str], str] = {}  # (kind, token) -> normalised value, to detect clashes
        self.originals: dict[str, str] = {}  # rendered pseudonym -> first original seen (for --redact-map)

    @property
    def key(self) -> bytes:
        """The key bytes (handed to another redactor of the same run, never written anywhere)."""
        return self._key

    def fingerprint(self) -> str:
        """A keyed check value that tells whether two runs used the same key, revealing nothing about it."""
        return hmac.new(self._key, b"key fingerprint", hashlib.sha256).hexdigest()[:LONG]

    @staticmethod
    def key_from_text(text: str) -> bytes:
        """Turn a ``--redact-key`` passphrase into key bytes (the passphrase itself is never stored)."""
        return hashlib.sha256(b"nps-trace-analyzer redaction key\0" + text.encode("utf-8")).digest()

    def token(self, kind: str, value: str) -> str:
        """The hex token of ``value`` (normalised by the caller) within ``kind``."""
        cache_key = (kind, value)
        found = self._tokens.get(cache_key)
        if found is not None:
            return found
        digest = hmac.new(self._key, f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()
        token = digest[:SHORT]
        owner = self._owner.setdefault((kind, token), value)
        if owner != value:
            token = digest[:LONG]
            self._owner.setdefault((kind, token), value)
        self._tokens[cache_key] = token
        return token

    def remember(self, pseudonym: str, original: str) -> str:
        """Record ``pseudonym`` as standing for ``original`` and return it."""
        self.originals.setdefault(pseudonym, original)
        return pseudonym

    def guid_token(self, value: str) -> str:
        """A GUID-shaped stand-in whose version nibble is 0 (no real GUID has it), so it reads as replaced."""
        digest = hmac.new(self._key, f"guid\0{value}".encode(), hashlib.sha256).hexdigest()
        return f"{digest[:8]}-{digest[8:12]}-0{digest[12:15]}-{digest[15:19]}-{digest[19:31]}"
