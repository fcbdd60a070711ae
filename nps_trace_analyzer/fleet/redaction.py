"""``fleet --redact``: what the fleet keeps of a bundle (tables, server profile, paths) in pseudonyms.

Why per bundle, in the task: the names are learned while a bundle is read, which happens on a Dask worker; the
worker's redactor (a fresh one per bundle, with the run's key) rewrites the bundle's report, its Parquet rows and its
server profile before anything is returned. The pseudonyms are keyed HMACs of the values, so every bundle of the run
(and of any later run with the same ``--redact-key``) gives the same user, host or address the same pseudonym, and
the cross-server comparison, which only tests names for equality, reads the same on pseudonyms as on originals.

A fleet folder is extended by later runs, so it records whether it is redacted and with which key (a keyed
fingerprint, :meth:`~nps_trace_analyzer.report.pseudonym.Pseudonyms.fingerprint`): a run whose redaction would not
match what the folder holds is refused rather than mixing original names, or other pseudonyms, into it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd

from nps_trace_analyzer.fleet.profile import ServerProfile, UserFailures
from nps_trace_analyzer.report.redact import CATALOG_KEYS, Redactor

MARKER = "redaction.json"  # in OUT/state: {"redacted": bool, "key": fingerprint or ""}
# Table columns holding codes, vocabularies, catalog text, hashes or times: kept, like the report's CATALOG_KEYS.
KEPT_COLUMNS = CATALOG_KEYS | {"check_id", "status", "source", "role", "bundle_key", "day"}


class RedactionMismatch(ValueError):
    """The fleet folder was written with another redaction setting or key than this run's."""


def redact_frame(frame: pd.DataFrame, redactor: Redactor) -> pd.DataFrame:
    """A copy of ``frame`` with every text value of an identifying column in pseudonyms (dtypes kept)."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        textual = pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)
        if column in KEPT_COLUMNS or not textual:
            continue
        values = out[column].astype(object)
        out[column] = values.map(lambda v: redactor.text(v) if isinstance(v, str) else v).astype(dtype.name)
    return out


def redact_profile(profile: ServerProfile, redactor: Redactor) -> ServerProfile:
    """``profile`` with server, bundle, user and address names in pseudonyms.

    User keys (``identity.user_key``: bare lower-case account names) get the user pseudonym directly, which is the
    one :meth:`Redactor.text` gives to that account inside a UPN or ``DOMAIN\\user`` too, so a failure on one server
    and a grant on another still meet under one key.
    """
    failures = {}
    for key, fail in profile.failures.items():
        failures[redactor.pseudonym("user", key)] = UserFailures(
            redactor.text(fail.display), fail.count, Counter(fail.codes), fail.first, fail.last
        )
    return ServerProfile(
        server=redactor.text(profile.server),
        bundles=[redactor.text(b) for b in profile.bundles],
        failures=failures,
        granted=Counter({redactor.pseudonym("user", k): n for k, n in profile.granted.items()}),
        config={check: (title, redactor.text(value), state) for check, (title, value, state) in profile.config.items()},
        auth_events=profile.auth_events,
        first_auth=profile.first_auth,
        last_auth=profile.last_auth,
        first_time=profile.first_time,
        last_time=profile.last_time,
        clock_marks={redactor.pseudonym("mark", key): when for key, when in profile.clock_marks.items()},
    )


def path_key(relative: str, redactor: Redactor | None) -> str:
    """How the state files name a bundle's path: the path itself, or (redacting) a keyed token of it, which a
    later run with the same key computes again before reading the bundle."""
    return relative if redactor is None else redactor.pseudonym("path", relative)


def check_marker(out: Path, redactor: Redactor | None, has_results: bool) -> None:
    """Refuse a run whose redaction does not match the fleet folder's; record it on a folder's first run."""
    path = out / "state" / MARKER
    wanted = {"redacted": redactor is not None, "key": redactor.pseudonyms.fingerprint() if redactor else ""}
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        recorded = {"redacted": False, "key": ""} if has_results else None
    except (OSError, ValueError) as exc:
        raise RedactionMismatch(f"{path}: unreadable ({exc}); is this fleet folder redacted?") from exc
    if recorded is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(wanted, sort_keys=True) + "\n", encoding="utf-8")
        return
    if recorded == wanted:
        return
    if not recorded.get("redacted"):
        raise RedactionMismatch(f"{out} holds unredacted results: write a redacted fleet into a new folder")
    if redactor is None:
        raise RedactionMismatch(f"{out} is redacted: give --redact-key with the key of its earlier runs")
    raise RedactionMismatch(
        f"{out} was redacted with another key: give the same --redact-key as its earlier runs (a fleet folder "
        "written with a random key, --redact without --redact-key, cannot be extended), or use a new folder"
    )
