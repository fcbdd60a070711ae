"""Allow ``python -m nps_trace_analyzer``."""

from nps_trace_analyzer.cli import main

main()
