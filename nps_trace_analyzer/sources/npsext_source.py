"""Adapter: NPSExtension.etl -> candidate pipeline events, plus the trace's counts for the report.

One pass over the file (:mod:`nps_trace_analyzer.sources.etl.npsext`): every record is counted in the
summary, and each record with a text becomes a candidate :class:`~nps_trace_analyzer.core.model.Event` with
``channel="NPSExtension.etl"``, the provider GUID as ``provider`` and the message text as ``text``, so the
same extraction and catalog matching as for the event logs applies and the trace's evidence joins the
CID/user incidents.

Which candidates stay events is not decided here: judging a text is the extract stage's job. The ETL reader
declares these inputs' events candidates (``ReaderSpec.sieve_events``) and the pipeline passes them through the
text sieve (:mod:`nps_trace_analyzer.extract.text_sieve`), which keeps the diagnosable ones and counts the codes,
CIDs and users it finds. Verbose chatter stays in the summary's counts only: a 4 GB circular trace would
otherwise flood the pipeline with lines that carry nothing diagnosable.

Not a reader of its own in :mod:`~nps_trace_analyzer.sources.readers` (both ETL roles share the kind "etl"):
the ETL reader (:mod:`~nps_trace_analyzer.sources.etl_source`) hands files whose role is "NPSExtension" to
:func:`read_npsext_events`.
"""

from __future__ import annotations

from collections.abc import Iterator

from nps_trace_analyzer.core.domain import NPSEXT_TRACE_CHANNEL
from nps_trace_analyzer.core.model import Event, InputFile
from nps_trace_analyzer.sources.etl.npsext import (
    NpsExtRecord,
    NpsExtSummarizer,
    NpsExtTrace,
    iter_npsext_records,
    new_trace,
)
from nps_trace_analyzer.sources.etl.reader import EtlReader
from nps_trace_analyzer.sources.readers import Artifact, Collector

CHANNEL = NPSEXT_TRACE_CHANNEL
#: The summary of each NPSExtension.etl (counts, timeline, undecodable records, notes) for the report.
NPSEXT_SUMMARY: Artifact[NpsExtTrace] = Artifact("npsext", NpsExtTrace)
MAX_WARNINGS = 50


def to_event(rec: NpsExtRecord, source_file: str) -> Event:
    """The pipeline event of one record: decoded fields (or printable strings) as data, text as text."""
    data: list[tuple[str | None, str]] = [("kind", rec.kind)]
    if rec.provider_name:
        data.append(("provider_name", rec.provider_name))
    if rec.event_name:
        data.append(("event_name", rec.event_name))
    data.extend(rec.fields)
    data.extend((None, s) for s in rec.strings)
    return Event(
        time=rec.time,
        source_file=source_file,
        channel=CHANNEL,
        provider=rec.provider,
        event_id=rec.event_id,
        level=rec.level,
        record_id=rec.index,
        computer="",
        data=tuple(data),
        text=rec.text,
        source_kind="etl",
    )


def read_npsext_events(inp: InputFile, collector: Collector) -> Iterator[Event]:
    """Yield every record with a text of an NPSExtension.etl as a candidate event (the text sieve keeps the
    diagnosable ones and counts them in ``inp.events_kept``); add the summary as artifact ``"npsext"``.

    Never raises for bad content: an unopenable file sets ``inp.reason``; damaged buffers are counted in
    ``inp.records_skipped`` with the reader's warnings.
    """
    try:
        reader = EtlReader(inp.path)
    except OSError as exc:
        inp.reason = f"cannot read the trace: {exc}"
        return
    summarizer = NpsExtSummarizer(new_trace(reader))
    inp.analysed = True
    for rec in iter_npsext_records(reader):
        inp.records_read += 1
        summarizer.add(rec)
        if rec.text:
            yield to_event(rec, inp.name)
    trace = summarizer.finish()
    inp.records_skipped += reader.stats.skipped
    inp.first_time, inp.last_time = trace.first_time, trace.last_time  # the whole trace, not only kept events
    inp.channels.update(dict(trace.per_provider))
    for warning in reader.stats.warnings[:MAX_WARNINGS]:
        inp.warnings.append(warning)
    dropped = len(reader.stats.warnings) - MAX_WARNINGS + reader.stats.warnings_dropped
    if dropped > 0:
        inp.warnings.append(f"... {dropped} more reader warnings not listed")
    if trace.events == 0 and reader.header is None:
        inp.reason = "no ETL logfile header and no events: not a readable trace"
    collector.add(NPSEXT_SUMMARY, inp, trace)
