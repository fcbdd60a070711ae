"""The two UPN patterns stay two for the reasons written at ``text_sieve.TRACE_UPN_RE``: its examples hold.

Both find the user names real servers log (non-ASCII, a leading underscore, B2B guests' ``#EXT#``, redacted posts);
only the trace pattern finds the shapes the Data-value pattern's bounds refuse. Making them one would change which
trace records the sieve keeps, a change to judge on the held-out traces and to write down, not to make in passing.
"""

from __future__ import annotations

import pytest

from nps_trace_analyzer.extract.azuremfa import extract_azuremfa
from nps_trace_analyzer.extract.mfa_content import UPN_RE
from nps_trace_analyzer.extract.text_sieve import TRACE_UPN_RE

#: (text, the user both patterns must find in it)
REAL_SHAPES = [
    ("sign-in of jörg@exämple.de", "jörg@exämple.de"),
    ("user ***@contoso.com denied", "***@contoso.com"),
    ("_svc@contoso.com", "_svc@contoso.com"),
    ("for User alice_contoso.com#EXT#@fabrikam.onmicrosoft.com ok", "alice_contoso.com#EXT#@fabrikam.onmicrosoft.com"),
    ("user=müller.jürgen@gemeinde.de;", "müller.jürgen@gemeinde.de"),
]
ONLY_TRACE_UPN_RE = ["bob@contoso.verylongtopleveldomainnamehere", "x@" + "a." * 12 + "com"]


@pytest.mark.parametrize(("text", "user"), REAL_SHAPES)
def test_real_user_shapes_both_patterns_find(text: str, user: str) -> None:
    assert [m.group(0) for m in UPN_RE.finditer(text)] == TRACE_UPN_RE.findall(text) == [user]


def test_a_quoted_address_is_the_address() -> None:
    text = "[Message:Resource 'new.hire@contoso.com' does not exist] o'brien@contoso.com"
    expected = ["new.hire@contoso.com", "o'brien@contoso.com"]
    assert [m.group(0) for m in UPN_RE.finditer(text)] == TRACE_UPN_RE.findall(text) == expected


def test_the_graph_message_alone_names_its_user_without_the_quote() -> None:
    """A fragment that keeps only the Graph answer (the one address in the text is the user)."""
    text = "GraphUserNotFoundException: [Code:Request_ResourceNotFound] [Message:Resource 'new.hire@contoso.com' does"
    assert extract_azuremfa(text).user == "new.hire@contoso.com"


def test_a_long_run_without_an_address_is_no_user() -> None:
    assert TRACE_UPN_RE.search("a" * 200_000 + " " + "b." * 100_000 + "c1") is None


@pytest.mark.parametrize("text", ONLY_TRACE_UPN_RE)
def test_user_shapes_only_the_trace_pattern_finds(text: str) -> None:
    assert TRACE_UPN_RE.search(text) and not UPN_RE.search(text)


def test_both_find_the_common_shape() -> None:
    text = "NPS Extension for Azure MFA: alice@contoso.com rejected"
    assert [m.group(0) for m in UPN_RE.finditer(text)] == TRACE_UPN_RE.findall(text) == ["alice@contoso.com"]
