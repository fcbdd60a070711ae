"""``analyze --redact`` names no bundle: the folder or zip the user gave is often named after a customer or a
server (``acmecorp-case-4711.zip``), so neither what is printed, nor the report's contents, nor the default report
folder's name may carry it.

Rule (README, "Sending the report"): the bundle is called ``bundle-<token>`` (a keyed pseudonym like any other,
listed in ``--redact-map``), also as the prefix of the files read from its zip (``bundle-<token>!/Security.evtx``);
the default report folder is ``bundle-<token>-report`` next to the input and is printed by that name only, while a
folder given with ``-o`` (the user's own choice) is printed as given.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from nps_trace_analyzer.cli import main
from nps_trace_analyzer.report.redact import Redactor
from nps_trace_analyzer.synth.bundle import DEFAULT_DAY, generate_bundle

SECRET = "acmecorp-case-4711"
KEY = ["--redact-key", "k1"]


def _bundle(root: Path, as_zip: bool) -> Path:
    folder = generate_bundle(
        root / "cases" / SECRET, ["user-not-found"], seed=3, host="NPS01", day=DEFAULT_DAY, healthy=4
    )
    if not as_zip:
        return folder
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, path.name)
    shutil.rmtree(folder)
    for extra in folder.parent.glob(f"{SECRET}*.json"):
        extra.unlink()
    return archive


def _written(root: Path, bundle: Path) -> list[str]:
    """Every name and every text written under root, the input itself left out."""
    found = []
    for path in sorted(root.rglob("*")):
        if path == bundle or bundle in path.parents or (path.suffix == ".json" and path.parent == bundle.parent):
            continue
        found.append(str(path.relative_to(root)))
        if path.is_file():
            found.append(path.read_text(encoding="utf-8", errors="replace"))
    return found


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_redacted_run_names_no_bundle(as_zip: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = _bundle(tmp_path, as_zip)
    monkeypatch.chdir(tmp_path)
    mapping = tmp_path / "map.json"
    result = CliRunner().invoke(
        main, ["analyze", "--jobs", "1", *KEY, "--redact-map", str(mapping), str(bundle.relative_to(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output, result.output
    reports = [p for p in bundle.parent.iterdir() if p.name.endswith("-report")]
    assert [re.fullmatch(r"bundle-[0-9a-f]{8}-report", p.name) is not None for p in reports] == [True]
    assert f"Report: {reports[0].name}{os.sep}report.html  (next to the input" in result.output
    assert not [text for text in _written(tmp_path, bundle) if SECRET in text and text != mapping.read_text()]
    document = json.loads((reports[0] / "findings.json").read_text(encoding="utf-8"))
    pseudonym = reports[0].name.removesuffix("-report")
    assert document["bundle"] == pseudonym
    assert json.loads(mapping.read_text(encoding="utf-8"))[pseudonym] == bundle.name
    if as_zip:
        assert any(i["name"].startswith(f"{pseudonym}!/") for i in document["inputs"])


def test_a_chosen_report_folder_is_printed_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = _bundle(tmp_path, as_zip=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["analyze", "-q", *KEY, str(bundle), "-o", "for-vendor"])
    assert result.exit_code == 0, result.output
    assert f"Report: for-vendor{os.sep}report.html  (ticket summary" in result.output
    assert SECRET not in result.output


def test_without_redaction_the_bundle_keeps_its_name(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, as_zip=True)
    result = CliRunner().invoke(main, ["analyze", "-q", "--jobs", "1", str(bundle)])
    assert result.exit_code == 0, result.output
    assert (bundle.parent / f"{SECRET}-report" / "report.html").is_file()
    assert f"{SECRET}.zip: " in result.output


def test_a_bundle_name_is_replaced_only_where_it_names_the_bundle() -> None:
    """A bundle may be called ``NPS`` or ``first``: the word elsewhere in a text (or as a document key) stays; a
    zip's name is replaced wherever it stands as a token."""
    redactor = Redactor(b"k" * 32)
    redactor.learn("bundle", "NPS")
    redactor.learn("bundle", "logs.zip")
    name, archive = redactor.bundle_name("NPS"), redactor.bundle_name("logs.zip")
    assert redactor.bundle_title("NPS") == name and redactor.bundle_title("NPS + logs.zip") == f"{name} + {archive}"
    assert redactor.text("identical copy of logs.zip!/Security.evtx") == f"identical copy of {archive}!/Security.evtx"
    kept = "NPS Extension for Azure MFA: the NPS logs, logs.zipped, mylogs.zip"
    assert redactor.text(kept) == Redactor(b"k" * 32).text(kept)  # as if no bundle had been learned
    assert redactor.document({"bundle": "NPS", "NPS": "NPS"}) == {"bundle": name, "NPS": "NPS"}
    assert redactor.mapping()[name] == "NPS"
