"""One person across sources: the extension logs the RADIUS User-Name (often a UPN), NPS audits and accounting logs
the Windows account (``CONTOSO\\alice``, ``contoso.com/Users/alice``). The local part is what every form shares."""

from __future__ import annotations

# Wrappers copies put around a name: quotes (also typographic) and angle brackets ("'alice'", "<alice>").
_WRAPPERS = "'\"\u2018\u2019\u201c\u201d<>[]"


def user_key(user: str | None) -> str:
    """``CONTOSO\\alice``, ``contoso.com/Users/alice``, ``alice@contoso.com``, ``ALICE@CONTOSO.COM`` -> ``alice``.

    Case-insensitive the way Windows compares account names: ``casefold`` also folds non-ASCII letters (``ß``,
    Greek sigma) that ``lower`` keeps apart. Windows writes ``-`` for "no user": no key. Collisions across domains
    are possible but rare within one NPS server's day; the join windows keep them apart.
    """
    if not user:
        return ""
    value = user.strip().strip(_WRAPPERS).strip()
    value = value.rsplit("\\", 1)[-1].rsplit("/", 1)[-1]
    value = value.split("@", 1)[0].strip()
    return "" if value in ("", "-") else value.casefold()


def host_key(computer: str | None) -> str:
    """``NPS01.contoso.local``, ``nps01``, ``NPS01.CONTOSO.LOCAL.`` -> ``nps01``: one server however a log names it.

    Windows writes the FQDN in ``<Computer>``, but copies, other writers and older logs (written before a domain
    join or a rename of the DNS suffix) give the NetBIOS name, which is the first DNS label. An IP address is kept
    whole. Collisions (two servers of one name in two domains in one bundle) are not expected within one bundle.
    """
    if not computer:
        return ""
    value = computer.strip().rstrip(".").casefold()
    if value.replace(".", "").isdigit() or ":" in value:
        return value
    return value.split(".", 1)[0]
