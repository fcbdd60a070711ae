"""The ``catalog`` and ``explain`` commands, run through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.cli.catalog import catalog_option, load_catalog_or_exit, register


@click.group()
def cli() -> None:
    """A bare group, so these tests do not depend on the rest of the CLI."""


register(cli)


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args))


BAD_USER_CATALOG = """\
entries:
  - code: SITE_CODE
    title: A site code
    category: token
    severity: warning
    audience: [admin]
    meaning: x
    steps: [y]
    examples: [z]
"""


def test_explain_prints_the_full_entry() -> None:
    result = run("explain", "ESTS_TOKEN_ERROR")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for part in ("ESTS_TOKEN_ERROR", "certificate-token", "What it means:", "What to do:", "AADSTS7000112",
                 "https://learn.microsoft.com/en-us/entra/identity/authentication/howto-mfa-nps-extension-errors",
                 "Example event text", "Where these facts come from:", "Catalog file:"):  # fmt: skip
        assert part in out, part


def test_explain_json_and_number_queries() -> None:
    result = run("explain", "--json", "21")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert [e["id"] for e in payload["entries"]] == ["NPS-REASON-21"]
    assert payload["entries"][0]["reason_code"] == 21
    payload = json.loads(run("explain", "6273", "--json").stdout)
    assert [e["id"] for e in payload["entries"]] == ["SECURITY-6273"]
    both = run("explain", "17")
    assert both.exit_code == 0 and "2 entries match '17': NPS-REASON-17, SYSTEM-NPS-17" in both.stdout


def test_explain_unknown_code_exits_1_with_a_hint() -> None:
    result = run("explain", "NO_SUCH_CODE")
    assert result.exit_code == 1
    assert "not in the catalog" in result.stderr
    assert json.loads(run("explain", "--json", "NO_SUCH_CODE").stdout)["entries"] == []


def test_catalog_lists_documented_non_errors_only() -> None:
    result = run("catalog", "--category", "not-an-error")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    expected = {e.id for e in load_catalog().filter(category="not-an-error")}
    listed = {line.split()[0] for line in lines[1:]}
    assert listed == expected
    assert {"OathCodeIncorrect", "AuthenticationThrottled", "REGISTRY_CONFIG_ERROR#ip-whitelist"} <= listed
    assert lines[0].startswith("Catalog ") and f"{len(expected)} of " in lines[0]


def test_catalog_json_search_and_check() -> None:
    result = run("catalog", "--json", "--search", "throttling")
    payload = json.loads(result.stdout)
    ids = {e["id"] for e in payload["entries"]}
    assert {"AuthenticationThrottled", "AuthenticationMethodLimitReached"} <= ids
    assert payload["count"] == len(payload["entries"])
    checked = run("catalog", "--check", "--json", "--severity", "critical")
    assert checked.exit_code == 0
    assert json.loads(checked.stdout)["problems"] == []
    assert run("catalog", "--category", "bogus").exit_code == 2


def test_malformed_user_catalog_is_one_line_naming_file_and_entry(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(BAD_USER_CATALOG, encoding="utf-8")
    for args in (("catalog",), ("explain", "ESTS_TOKEN_ERROR")):
        result = run(*args, "--catalog", str(path))
        assert result.exit_code == 2
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert str(path) in lines[0] and "entry SITE_CODE" in lines[0] and "category 'token'" in lines[0]
        assert "Traceback" not in result.output


def test_yaml_syntax_error_in_user_catalog(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("entries:\n\t- code: X\n", encoding="utf-8")
    result = run("catalog", "--catalog", str(path))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and str(path) in result.stderr and "line 2" in result.stderr


def test_user_catalog_extends_what_explain_and_catalog_show(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(BAD_USER_CATALOG.replace("category: token", "category: configuration"), encoding="utf-8")
    result = run("explain", "SITE_CODE", "--catalog", str(path))
    assert result.exit_code == 0 and "A site code" in result.stdout
    listing = run("catalog", "--catalog", str(path), "--search", "site code")
    assert "SITE_CODE" in listing.stdout and "+user" in listing.stdout.splitlines()[0]


def test_catalog_option_and_loader_helper_for_other_commands(tmp_path: Path) -> None:
    seen: dict[str, tuple[str, ...]] = {}

    @click.command()
    @catalog_option
    def other(catalog: tuple[str, ...]) -> None:
        seen["catalog"] = catalog
        load_catalog_or_exit(catalog)

    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_USER_CATALOG, encoding="utf-8")
    ok = CliRunner().invoke(other, [])
    assert ok.exit_code == 0 and seen["catalog"] == ()
    result = CliRunner().invoke(other, ["--catalog", str(tmp_path / "a.yaml"), "--catalog", str(bad)])
    assert seen["catalog"] == (str(tmp_path / "a.yaml"), str(bad))
    assert result.exit_code == 2 and "no such catalog file" in result.stderr


def test_the_installed_cli_has_both_commands() -> None:
    cli_module = pytest.importorskip("nps_trace_analyzer.cli")
    assert {"catalog", "explain"} <= set(cli_module.main.commands)
