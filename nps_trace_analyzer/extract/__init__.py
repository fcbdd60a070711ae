"""Extractors: turn event texts into codes and identifiers (CID, user, state, AADSTS, trace ids...).

Extractors only read text and data strings; they know nothing about the catalog or incidents.
"""

from nps_trace_analyzer.extract.azuremfa import MfaExtraction, extract_azuremfa, extract_codes

__all__ = ["MfaExtraction", "extract_azuremfa", "extract_codes"]
