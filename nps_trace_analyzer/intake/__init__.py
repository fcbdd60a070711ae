"""Intake: find the files of a bundle (folder, zip, single files) and identify each by its content."""

from nps_trace_analyzer.intake.bundle import Bundle, IntakeError, IntakeLimits, TempSpaceFull, open_bundle, sha256_of

__all__ = ["Bundle", "IntakeError", "IntakeLimits", "TempSpaceFull", "open_bundle", "sha256_of"]
