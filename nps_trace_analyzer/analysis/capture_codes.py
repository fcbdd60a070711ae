"""Capture observations -> catalog codes (findings stage).

The capture reader says what it saw in each exchange (``observed`` data items: the NAS used another protocol than
PAP, resent a request, a TCP connection to an MFA endpoint got no answer...). Naming the catalog code for each
observation is the findings stage's job, like every other code: readers yield events only.
"""

from __future__ import annotations

from collections.abc import Iterator

from nps_trace_analyzer.core.model import Event

OBSERVATION = "observed"
CODE_OF: dict[str, str] = {
    "non-pap": "CAPTURE-NON-PAP-PROTOCOL",
    "nas-retransmission": "CAPTURE-NAS-RETRANSMISSION",
    "no-message-authenticator": "CAPTURE-NO-MESSAGE-AUTHENTICATOR",
    "dns-failure": "CAPTURE-DNS-FAILURE",
    "tcp-no-answer": "CAPTURE-TCP-NO-ANSWER",
    "tcp-reset": "CAPTURE-TCP-RESET",
    "tls-alert": "CAPTURE-TLS-ALERT",
    "tls-legacy-only": "CAPTURE-TLS-LEGACY-ONLY",
}


def capture_codes(event: Event) -> Iterator[str]:
    """The code of each observation of a capture event; an observation without a code is named as it is, so a
    reader that learns something new is still shown ("not in catalog") instead of dropped."""
    for name, value in event.data:
        if name == OBSERVATION and value:
            yield CODE_OF.get(value, f"CAPTURE-{value.upper()}")


def capture_attrs(event: Event) -> dict[str, str]:
    """The named data items of a capture event except the observations: the finding's attributes."""
    return {name: value for name, value in event.data if name and name != OBSERVATION}
