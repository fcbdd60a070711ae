"""The version is written once, in nps_trace_analyzer/version.py: the package metadata (pyproject's dynamic version),
``nps-trace-analyzer --version`` and the report's tool version all read it."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import nps_trace_analyzer
from nps_trace_analyzer.cli import main
from nps_trace_analyzer.report.result import AnalysisResult, to_document
from nps_trace_analyzer.version import __version__

REPO = Path(__file__).resolve().parent.parent


def test_pyproject_takes_the_version_from_version_py() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+: the suite's interpreter
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in config["project"], "a second version in pyproject.toml: keep only version.py's"
    assert "version" in config["project"]["dynamic"]
    assert config["tool"]["hatch"]["version"]["path"] == "nps_trace_analyzer/version.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:[.-]?\w+)?", __version__)


def test_the_installed_metadata_cli_and_report_say_the_same_version() -> None:
    assert nps_trace_analyzer.__version__ == __version__
    assert importlib.metadata.version("nps-trace-analyzer") == __version__
    out = CliRunner().invoke(main, ["--version"])
    assert out.exit_code == 0 and out.output.strip() == f"nps-trace-analyzer, version {__version__}"
    document = to_document(AnalysisResult(bundle_name="b", inputs=[], incidents=[], catalog_version="c"))
    assert document["tool"] == {"name": "nps-trace-analyzer", "version": __version__}
