"""Readers for the text files of a health-check bundle, registered by the kind intake gives them.

- ``nps-eventlog-text`` (``NPS_EventLog.log``): wevtutil's text rendering of Security 6272/6273/6274, turned into
  the same events as Security.evtx.
- ``event-xml`` (Event Viewer's XML export, ``wevtutil qe /f:xml``): the same events as the .evtx it came from.
- ``registry-dump`` / ``registry-export`` (``*RegAdd_AzureMFA.txt``, ``AuthSrv.reg``): no events; the parsed
  values go to the collector as ``"registry"`` artifacts for the server-configuration checks.
- ``iaslog`` (NPS accounting logs ``IN*.log``): each row becomes an evidence event; the rows also go to the
  collector as ``"radius-log"`` for request/response pairing after the stream.
"""

from __future__ import annotations

from collections.abc import Iterator

from nps_trace_analyzer.model import Event, InputFile
from nps_trace_analyzer.sources.event_xml import read_event_xml
from nps_trace_analyzer.sources.iaslog import read_nps_log, to_events
from nps_trace_analyzer.sources.nps_eventlog_text import read_wevtutil_text
from nps_trace_analyzer.sources.regdump import read_registry_file
from nps_trace_analyzer.sources.registry import Collector, register
from nps_trace_analyzer.sources.text_decode import TextReadStats


@register("nps-eventlog-text")
def read_nps_eventlog_text(inp: InputFile, collector: Collector) -> Iterator[Event]:
    stats = TextReadStats()
    for event in read_wevtutil_text(inp.path, inp.name, stats):
        inp.events_kept += 1
        yield event
    stats.apply_to(inp)


@register("event-xml")
def read_event_xml_file(inp: InputFile, collector: Collector) -> Iterator[Event]:
    stats = TextReadStats()
    for event in read_event_xml(inp.path, inp.name, stats):
        inp.events_kept += 1
        inp.channels[event.channel] = inp.channels.get(event.channel, 0) + 1
        yield event
    stats.apply_to(inp)


def _read_registry(inp: InputFile, collector: Collector) -> Iterator[Event]:
    stats = TextReadStats()
    dump = read_registry_file(inp.path, stats)
    stats.apply_to(inp)
    if dump:
        collector.add("registry", inp, dump)
    return iter(())


register("registry-dump")(_read_registry)
register("registry-export")(_read_registry)


@register("iaslog")
def read_iaslog(inp: InputFile, collector: Collector) -> Iterator[Event]:
    stats = TextReadStats()
    records = list(read_nps_log(inp.path, inp.name, stats))
    stats.apply_to(inp)
    collector.add("radius-log", inp, records)
    for event in to_events(records):
        inp.events_kept += 1
        yield event
