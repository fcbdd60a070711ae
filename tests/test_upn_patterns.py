"""The two UPN patterns stay two for the reasons written at ``text_sieve.TRACE_UPN_RE``: its examples hold.

If the patterns are made one, this test fails on purpose: the sieve then keeps other trace records (and counts other
users), a change to judge on the held-out traces and to write down, not to make in passing.
"""

from __future__ import annotations

import pytest

from nps_trace_analyzer.extract.mfa_content import UPN_RE
from nps_trace_analyzer.extract.text_sieve import TRACE_UPN_RE

ONLY_UPN_RE = [
    "sign-in of jörg@exämple.de",
    "user ***@contoso.com denied",
    "_svc@contoso.com",
    "alice_contoso.com#EXT#@fabrikam.onmicrosoft.com",
]
ONLY_TRACE_UPN_RE = ["bob@contoso.verylongtopleveldomainnamehere", "x@" + "a." * 12 + "com"]


@pytest.mark.parametrize("text", ONLY_UPN_RE)
def test_user_shapes_only_the_data_value_pattern_finds(text: str) -> None:
    assert UPN_RE.search(text) and not TRACE_UPN_RE.search(text)


@pytest.mark.parametrize("text", ONLY_TRACE_UPN_RE)
def test_user_shapes_only_the_trace_pattern_finds(text: str) -> None:
    assert TRACE_UPN_RE.search(text) and not UPN_RE.search(text)


def test_both_find_the_common_shape() -> None:
    text = "NPS Extension for Azure MFA: alice@contoso.com rejected"
    assert [m.group(0) for m in UPN_RE.finditer(text)] == TRACE_UPN_RE.findall(text) == ["alice@contoso.com"]
