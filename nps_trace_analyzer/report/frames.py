"""pandas DataFrames of analysis results: one column schema for the library API and the fleet's Parquet dataset.

Why one module: ``BundleAnalysis.to_dataframes()`` and ``fleet``'s Parquet files must agree on column names and
dtypes, or a notebook reading the dataset and one calling the API would see two different tables. Codes, kinds,
categories, severities and server names are categoricals (few distinct values, cheap group-bys); every time is
``datetime64[ns, UTC]``; counts are nullable ``Int64`` (an event without a record id stays <NA>, not NaN).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from nps_trace_analyzer.core.model import Event, Incident, InputFile

TIME = "datetime64[ns, UTC]"
INT = "Int64"
CATEGORY = "category"
TEXT = "string"

INCIDENT_SCHEMA: dict[str, str] = {
    "bundle": TEXT,
    "server": CATEGORY,
    "id": TEXT,
    "kind": CATEGORY,
    "first_seen": TIME,
    "last_seen": TIME,
    "count": INT,
    "incident_server": CATEGORY,  # the computer the incident names (may differ from the bundle's server)
    "user": TEXT,
    "cid": TEXT,
    "primary_code": CATEGORY,
    "codes": TEXT,
    "category": CATEGORY,
    "severity": CATEGORY,
    "benign": "bool",
    "in_catalog": "bool",
    "title": TEXT,
    "summary": TEXT,
}

EVENT_SCHEMA: dict[str, str] = {
    "time": TIME,
    "computer": CATEGORY,
    "channel": CATEGORY,
    "provider": CATEGORY,
    "event_id": INT,
    "level": INT,
    "record_id": INT,
    "source_file": CATEGORY,
    "source_kind": CATEGORY,
    "text": TEXT,
}

INPUT_SCHEMA: dict[str, str] = {
    "bundle": TEXT,
    "server": CATEGORY,
    "name": TEXT,
    "size": INT,
    "sha256": TEXT,
    "kind": CATEGORY,
    "role": CATEGORY,
    "analysed": "bool",
    "reason": TEXT,
    "records_read": INT,
    "records_skipped": INT,
    "events_kept": INT,
    "first_time": TIME,
    "last_time": TIME,
}

SERVER_CONFIG_SCHEMA: dict[str, str] = {
    "bundle": TEXT,
    "server": CATEGORY,
    "check_id": CATEGORY,
    "title": TEXT,
    "status": CATEGORY,
    "detail": TEXT,
    "code": CATEGORY,
    "evidence": TEXT,
    "source": CATEGORY,
}

BUNDLE_SCHEMA: dict[str, str] = {
    "bundle_key": TEXT,
    "bundle": TEXT,
    "path": TEXT,
    "server": CATEGORY,
    "day": TEXT,
    "first_time": TIME,
    "last_time": TIME,
    "inputs": INT,
    "inputs_analysed": INT,
    "records_read": INT,
    "records_skipped": INT,
    "events": INT,
    "auth_events": INT,
    "incidents": INT,
    "benign_incidents": INT,
    "error": TEXT,
}


def typed_frame(rows: Sequence[Mapping[str, Any]], schema: Mapping[str, str]) -> pd.DataFrame:
    """A DataFrame with exactly ``schema``'s columns and dtypes (an empty table keeps them too)."""
    frame = pd.DataFrame.from_records(list(rows), columns=list(schema))
    for column, dtype in schema.items():
        if dtype == TIME:
            frame[column] = pd.to_datetime(frame[column], utc=True).astype(TIME)
        elif dtype == "bool":
            frame[column] = frame[column].fillna(False).astype(bool)
        else:
            frame[column] = frame[column].astype(dtype)
    return frame


def incidents_frame(incidents: Iterable[Incident], *, bundle: str, server: str) -> pd.DataFrame:
    rows = [
        {
            "bundle": bundle,
            "server": server,
            "id": inc.id,
            "kind": inc.kind,
            "first_seen": inc.first_seen,
            "last_seen": inc.last_seen,
            "count": inc.count,
            "incident_server": inc.server,
            "user": inc.user,
            "cid": inc.cid,
            "primary_code": inc.primary_code,
            "codes": " ".join(inc.codes),
            "category": inc.category,
            "severity": inc.severity,
            "benign": inc.benign,
            "in_catalog": inc.in_catalog,
            "title": inc.title,
            "summary": inc.summary,
        }
        for inc in incidents
    ]
    return typed_frame(rows, INCIDENT_SCHEMA)


def events_frame(events: Iterable[Event]) -> pd.DataFrame:
    rows = [
        {
            "time": ev.time,
            "computer": ev.computer,
            "channel": ev.channel,
            "provider": ev.provider,
            "event_id": ev.event_id,
            "level": ev.level,
            "record_id": ev.record_id,
            "source_file": ev.source_file,
            "source_kind": ev.source_kind,
            "text": ev.text,
        }
        for ev in events
    ]
    return typed_frame(rows, EVENT_SCHEMA)


def inputs_frame(inputs: Iterable[InputFile], *, bundle: str, server: str) -> pd.DataFrame:
    rows = [
        {
            "bundle": bundle,
            "server": server,
            "name": inp.name,
            "size": inp.size,
            "sha256": inp.sha256,
            "kind": inp.kind,
            "role": inp.role,
            "analysed": inp.analysed,
            "reason": inp.reason,
            "records_read": inp.records_read,
            "records_skipped": inp.records_skipped,
            "events_kept": inp.events_kept,
            "first_time": inp.first_time,
            "last_time": inp.last_time,
        }
        for inp in inputs
    ]
    return typed_frame(rows, INPUT_SCHEMA)


def server_config_frame(rows: Iterable[Mapping[str, Any]], *, bundle: str, server: str) -> pd.DataFrame:
    out = [{**{k: row.get(k) for k in SERVER_CONFIG_SCHEMA}, "bundle": bundle, "server": server} for row in rows]
    return typed_frame(out, SERVER_CONFIG_SCHEMA)


def arrow_schema(schema: Mapping[str, str], drop: Sequence[str] = ()) -> Any:
    """The Arrow schema of a table (for Parquet): fixed even for an empty table, so every file of a dataset
    agrees (a reader infers a dataset's schema from one file; an all-null column would hide every value)."""
    import pyarrow as pa

    types = {
        TIME: pa.timestamp("ns", tz="UTC"),
        INT: pa.int64(),
        CATEGORY: pa.dictionary(pa.int32(), pa.string()),
        TEXT: pa.string(),
        "bool": pa.bool_(),
    }
    return pa.schema([(name, types[dtype]) for name, dtype in schema.items() if name not in drop])


SCHEMAS: dict[str, Mapping[str, str]] = {
    "incidents": INCIDENT_SCHEMA,
    "inputs": INPUT_SCHEMA,
    "bundles": BUNDLE_SCHEMA,
    "events": EVENT_SCHEMA,
    "server_config": SERVER_CONFIG_SCHEMA,
}
