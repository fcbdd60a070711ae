"""Sources: one reader per file kind, each turning an identified input into normalised events.

Readers register themselves in :mod:`nps_trace_analyzer.sources.readers` (plaso-style), so the pipeline
never lists file kinds by hand.
"""
