"""The registry values the configuration checks read, and the verdict row they write.

Split from :mod:`.config_checks` (its job: which values are right) so that the checks of each topic can share
how a value is read from a dump (case-insensitive names, ``REG_xx`` pairs, multi-strings, free text that is not a
URL) without a cycle between them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from nps_trace_analyzer.sources.regdump import RegValue


@dataclass(frozen=True)
class ConfigCheck:
    """One configuration verdict. ``status``: ok, problem, warning, info, unknown.

    ``code`` is set for problems, warnings and the notable infos (catalog key, see :data:`.config_checks.CODES`);
    ``evidence`` quotes the registry values the verdict rests on; ``source`` says which dump ("after",
    "before", or "" for a single dump).
    """

    check_id: str
    title: str
    status: str
    detail: str
    code: str | None
    evidence: str
    source: str = ""


Values = Mapping[str, RegValue | tuple[str, object] | tuple[str, ...] | str] | None
"""Value maps: ``RegValue``s, ``("REG_xx", data)`` pairs, bare strings, or tuples of strings (multi-string)."""


# --- value access -----------------------------------------------------------------------------------------


def raw_value(values: Values, name: str) -> object | None:
    if not values:
        return None
    lname = name.lower()
    for key, value in values.items():
        if key.lower() == lname:
            if isinstance(value, RegValue) or (
                isinstance(value, tuple) and len(value) == 2 and str(value[0]).upper().startswith("REG_")
            ):
                return value[1]
            return value
    return None


def value_text(values: Values, name: str) -> str | None:
    """The value as text (REG_MULTI_SZ items joined with ``; ``), or None when the value does not exist."""
    value = raw_value(values, name)
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return "; ".join(str(item) for item in value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value).strip()


def value_items(values: Values, name: str) -> list[str] | None:
    """REG_MULTI_SZ (or a single string) as a list of non-empty items; None when the value does not exist."""
    value = raw_value(values, name)
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return [str(item).strip() for item in value if str(item).strip()]
    text = str(value).strip()
    return [part.strip() for part in re.split(r"\\0|;", text) if part.strip()] if text else []


def quote(name: str, value: str | None) -> str:
    if value is None:
        return f"{name} (not set)"
    return f"{name} = {value}" if value != "" else f"{name} = (empty)"


def url_parts(value: str) -> tuple[str, str]:
    """``(scheme, host)`` of a URL, lower-cased; ``("", "")`` when it cannot be parsed (registry text is free)."""
    try:
        parsed = urlparse(value.strip())
        return parsed.scheme.lower(), (parsed.hostname or "").lower()
    except ValueError:  # e.g. an unbalanced "[" ("Invalid IPv6 URL")
        return "", ""


def host_of(value: str) -> str:
    value = value.strip()
    if "://" in value:
        return url_parts(value)[1]
    return value.split("/", 1)[0].split(":", 1)[0].lower()
