"""Findings -> incidents: one failed sign-in, one unanswered challenge, one NPS reject, one recurring server fault.

The rules are written once, in docs/diagnosis-contract.md ("Incident rules"); each is one module of
:mod:`.rules` with the same name. :class:`IncidentEngine` runs them in a fixed order once all findings are in, so
the result does not depend on the order findings arrive in; :mod:`.builder` turns drafts into incidents.
"""

from __future__ import annotations

from nps_trace_analyzer.analysis.incidents.context import IncidentOptions
from nps_trace_analyzer.analysis.incidents.engine import IncidentEngine
from nps_trace_analyzer.analysis.incidents.intake import Intake, new_intake

__all__ = ["IncidentEngine", "IncidentOptions", "Intake", "new_intake"]
