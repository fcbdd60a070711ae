"""One person across sources: the extension logs the RADIUS User-Name (often a UPN), NPS audits and accounting logs
the Windows account (``CONTOSO\\alice``, ``contoso.com/Users/alice``). The local part is what every form shares."""

from __future__ import annotations


def user_key(user: str | None) -> str:
    """``CONTOSO\\alice``, ``contoso.com/Users/alice``, ``alice@contoso.com`` -> ``alice``.

    Collisions across domains are possible but rare within one NPS server's day; the join windows keep them apart.
    """
    if not user:
        return ""
    value = user.strip().strip("'\"")
    value = value.rsplit("\\", 1)[-1].rsplit("/", 1)[-1]
    return value.split("@", 1)[0].lower()
