"""The command line: ``main`` (the click group and ``analyze``, in ``analyze.py``) and one module per other
command family (``catalog.py``, ``etl.py``, ``fleet.py``, ``synth.py``); ``progress.py`` draws the progress line.

``main`` is re-exported so the console script (``nps_trace_analyzer.cli:main``) and ``python -m
nps_trace_analyzer`` need not know which module defines it.
"""

from __future__ import annotations

from nps_trace_analyzer.cli.analyze import main

__all__ = ["main"]
