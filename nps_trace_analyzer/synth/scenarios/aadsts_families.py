"""Scenario "aadsts-families": ESTS_TOKEN_ERROR events nesting AADSTS codes of several families of Microsoft's table.

Each failing sign-in has its own CID and its own AADSTS code, so each must become its own sign-in incident with
the AADSTS code as primary (the nested code is more specific than ESTS_TOKEN_ERROR) and the category the
contract gives that code: the extension's own sign-in (service principal missing, tenant unknown, certificate
refused, Conditional Access for workload identities), a service-side fault, the state of one user, and a code
of a flow the extension never uses. Only the frame of the message is the product's; the detail after each code
is our own wording (texts.ests_nested_aadsts).

Codes that stop the extension's own sign-in fail every request while they last: those repetitions sit in an
outage window that healthy traffic avoids. The per-user codes happen outside it.
"""

from __future__ import annotations

from nps_trace_analyzer.synth.scenarios.episodes import Cycle, Episode, ep
from nps_trace_analyzer.synth.scenarios.scenario import Scenario
from nps_trace_analyzer.synth.scenarios.texts import MFA_CLIENT_APP_ID
from nps_trace_analyzer.synth.scenarios.world import TENANT_ID

# (AADSTS code, detail after it): codes that fail the extension's own token request.
EXTENSION_WIDE: tuple[tuple[str, str], ...] = (
    ("AADSTS700016", f"No application '{MFA_CLIENT_APP_ID}' is registered in tenant '{TENANT_ID}'."),
    ("AADSTS90002", f"Tenant '{TENANT_ID}' is unknown to this cloud."),
    ("AADSTS50012", "The client certificate presented was not accepted for this application."),
    ("AADSTS53003", "A Conditional Access policy refused to issue the token."),
    ("AADSTS90033", "The directory service did not answer in time."),
)
# Codes about one user, and one of a flow the extension never uses.
PER_USER: tuple[tuple[str, str], ...] = (
    ("AADSTS50034", "The account was not found in the tenant."),
    ("AADSTS50057", "The account is disabled."),
    ("AADSTS50079", "The account must register for multifactor authentication."),
    ("AADSTS50058", "No signed-in session is available for single sign-on."),
)


def _failures(cases: tuple[tuple[str, str], ...], **placement: object) -> Episode:
    codes = tuple(code for code, _ in cases)
    return ep(
        "mfa-exception",
        len(cases),
        code="ESTS_TOKEN_ERROR",
        body="ests-aadsts",
        aadsts=Cycle(codes),
        detail=Cycle(tuple(detail for _, detail in cases)),
        expect=Cycle(codes),
        **placement,  # type: ignore[arg-type]
    )


AADSTS_FAMILY_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "aadsts-families",
        "ESTS_TOKEN_ERROR nesting AADSTS codes of several families; one incident each, the AADSTS code primary.",
        "The extension's token request fails in turn because its service principal is missing (AADSTS700016), the "
        "tenant is unknown (AADSTS90002), the certificate is refused (AADSTS50012), Conditional Access blocks it "
        "(AADSTS53003) and the directory back end is down (AADSTS90033); later single sign-ins fail with codes about "
        "their user (AADSTS50034 not found, AADSTS50057 disabled, AADSTS50079 not registered for MFA) and with a code "
        "of another flow (AADSTS50058). Every failure is its own sign-in incident whose primary code is the AADSTS "
        "code, categorised by what that code means for the NPS extension.",
        "single",
        (
            _failures(EXTENSION_WIDE, bounds=("11:05", "11:55"), outage=True),
            _failures(PER_USER, bounds=("17:30", "17:58")),
        ),
    ),
)
