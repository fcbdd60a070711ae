"""The process exit statuses of the command line, one place for the CLI and the README.

A script that runs the analyser over many bundles must tell "the bundle held nothing readable" from "my disk is
full" or "the job was killed": each cause has its own status, and the README's table is checked against this enum
(``tests/test_reliability_docs.py``).
"""

from __future__ import annotations

import errno
from enum import IntEnum

# OSError numbers that mean "the disk is full" (ExitCode.DISK_FULL): out of space, or out of the user's quota.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


class ExitCode(IntEnum):
    """Exit statuses of ``nps-trace-analyzer``; the docstring of each member is what the README says about it."""

    OK = 0
    NOTHING_READ = 1
    USAGE = 2
    OUTPUT_UNWRITABLE = 3
    DISK_FULL = 4
    INTERRUPTED_HUP = 129  # 128 + SIGHUP (1); POSIX numbers, so the table is the same on Windows
    INTERRUPTED_INT = 130  # 128 + SIGINT (2)
    INTERRUPTED_TERM = 143  # 128 + SIGTERM (15)


EXIT_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "the input was analysed (with or without incidents); the report is complete",
    ExitCode.NOTHING_READ: "nothing in the input could be read (no file, no archive member); the report says why",
    ExitCode.USAGE: "usage error: bad option, missing path, malformed or unsafe `--catalog` file",
    ExitCode.OUTPUT_UNWRITABLE: "the report (or pcapng) could not be written: permission denied, a symbolic link "
    "in its place, a folder that is not a report folder; no partial output is left",
    ExitCode.DISK_FULL: "the disk (temp space or the report's disk) is full; no partial output is left",
    ExitCode.INTERRUPTED_HUP: "interrupted by SIGHUP (terminal closed); temp files removed, previous report kept",
    ExitCode.INTERRUPTED_INT: "interrupted by SIGINT (Ctrl-C); temp files removed, previous report kept",
    ExitCode.INTERRUPTED_TERM: "interrupted by SIGTERM; temp files removed, previous report kept",
}


EXIT_LABELS: dict[ExitCode, str] = {
    ExitCode.OK: "analysed",
    ExitCode.NOTHING_READ: "nothing in the input could be read",
    ExitCode.USAGE: "usage error",
    ExitCode.OUTPUT_UNWRITABLE: "output not writable",
    ExitCode.DISK_FULL: "disk full",
    ExitCode.INTERRUPTED_HUP: "SIGHUP",
    ExitCode.INTERRUPTED_INT: "SIGINT",
    ExitCode.INTERRUPTED_TERM: "SIGTERM",
}


def exit_status_help() -> str:
    """The one-line list of statuses shown under ``analyze --help``."""
    plain = [code for code in ExitCode if code < 128]
    signals = [code for code in ExitCode if code >= 128]
    return (
        "Exit status: "
        + ", ".join(f"{int(code)} {EXIT_LABELS[code]}" for code in plain)
        + ", "
        + "/".join(str(int(code)) for code in signals)
        + " interrupted ("
        + "/".join(EXIT_LABELS[code] for code in signals)
        + "); see the README's Reliability section."
    )


def interrupted_code(signum: int) -> ExitCode:
    """The status for a run stopped by signal ``signum`` (the shell's 128 + N convention)."""
    return ExitCode(128 + signum)
