"""Configuration checks of the extension's switches: REQUIRE_USER_MATCH, OVERRIDE_NUMBER_MATCHING_WITH_OTP,
VERBOSE_LOG, IP_WHITELIST and the alternate login ID values.

Why apart from :mod:`.config_checks` (endpoints, identity, DLL registration): these values change how sign-ins
behave, not where the extension connects; each verdict explains the behaviour the value causes (Microsoft's
NPS-extension documentation and ``docs/reference/domain-facts.md`` §3.1).
"""

from __future__ import annotations

import ipaddress

from nps_trace_analyzer.analysis.config_values import ConfigCheck, Values, quote, value_text


def _switch(values: Values, name: str) -> tuple[str | None, ConfigCheck | None]:
    """A TRUE/FALSE value: returns (upper-cased value, a warning check when it is malformed)."""
    value = value_text(values, name)
    if value is None or value == "":
        return None, None
    if value.upper() not in ("TRUE", "FALSE"):
        return value, ConfigCheck(
            name.lower().replace("_", "-") + "-format",
            name,
            "warning",
            f"{name} is {value!r}; the extension expects TRUE or FALSE (how it reads other values is not documented).",
            "CONFIG-BOOLEAN-VALUE-INVALID",
            quote(name, value),
        )
    if value != value.upper():
        return value.upper(), ConfigCheck(
            name.lower().replace("_", "-") + "-format",
            name,
            "warning",
            f"{name} is {value!r}: "
            + (
                f"Microsoft documents this value as case-sensitive, upper case only ({value.upper()})."
                if name == "REQUIRE_USER_MATCH"
                else f"write it in upper case ({value.upper()}) as documented; case-sensitivity is documented "
                "only for REQUIRE_USER_MATCH."
            ),
            "CONFIG-BOOLEAN-NOT-UPPERCASE",
            quote(name, value),
        )
    return value, None


def switch_checks(values: Values) -> list[ConfigCheck]:
    out: list[ConfigCheck] = []
    rum, bad = _switch(values, "REQUIRE_USER_MATCH")
    if bad:
        out.append(bad)
    evidence = quote("REQUIRE_USER_MATCH", value_text(values, "REQUIRE_USER_MATCH"))
    if rum == "FALSE":
        out.append(
            ConfigCheck(
                "require-user-match",
                "REQUIRE_USER_MATCH",
                "warning",
                "REQUIRE_USER_MATCH=FALSE: users not enrolled for MFA are let in without a second factor (meant "
                "for roll-out only; remove it in production).",
                "CONFIG-REQUIRE-USER-MATCH-FALSE",
                evidence,
            )
        )
    else:
        out.append(
            ConfigCheck(
                "require-user-match",
                "REQUIRE_USER_MATCH",
                "ok",
                "Un-enrolled users fail the MFA step (value TRUE or not set).",
                None,
                evidence,
            )
        )
    otp, bad = _switch(values, "OVERRIDE_NUMBER_MATCHING_WITH_OTP")
    if bad:
        out.append(bad)
    evidence = quote("OVERRIDE_NUMBER_MATCHING_WITH_OTP", value_text(values, "OVERRIDE_NUMBER_MATCHING_WITH_OTP"))
    if otp == "TRUE":
        detail = (
            "TRUE: users are asked for a one-time code instead of approving a push; one-time codes need PAP "
            "between the RADIUS client and NPS (MS-CHAPv2/EAP get 'Challenge requested' and fail)."
        )
    elif otp == "FALSE":
        detail = "FALSE: push notifications are answered with Approve/Deny instead of a one-time code."
    else:
        detail = (
            "Not set: since extension 1.2.2216.1 users with a TOTP method are prompted for a code (needs PAP); "
            "others get Approve/Deny."
        )
    out.append(
        ConfigCheck("override-number-matching-otp", "OVERRIDE_NUMBER_MATCHING_WITH_OTP", "info", detail, None, evidence)
    )
    verbose = value_text(values, "VERBOSE_LOG")
    out.append(
        ConfigCheck(
            "verbose-log",
            "VERBOSE_LOG",
            "info",
            "Verbose extension tracing is on (the health-check script sets it during a capture)."
            if (verbose or "").upper() == "TRUE"
            else "Verbose extension tracing is off: NPSExtension.etl holds little detail.",
            None,
            quote("VERBOSE_LOG", verbose),
        )
    )
    return out


def ip_whitelist_check(values: Values) -> ConfigCheck:
    title = "IP_WHITELIST (NAS addresses that skip MFA)"
    value = value_text(values, "IP_WHITELIST")
    evidence = quote("IP_WHITELIST", value)
    if value is None:
        return ConfigCheck(
            "ip-whitelist",
            title,
            "info",
            "IP_WHITELIST does not exist (the installer does not create it), which is why the extension logs "
            "'REGISTRY_CONFIG_ERROR ... key: IP_WHITELIST' at start: benign. Create it empty to silence that.",
            "CONFIG-IP-WHITELIST-ABSENT",
            evidence,
        )
    entries = [e.strip() for e in value.replace(",", ";").split(";") if e.strip()]
    if not entries:
        return ConfigCheck("ip-whitelist", title, "ok", "Present and empty: no address skips MFA.", None, evidence)
    bad = []
    for entry in entries:
        try:
            ipaddress.IPv4Address(entry)
        except ValueError:
            bad.append(entry)
    if bad:
        return ConfigCheck(
            "ip-whitelist",
            title,
            "warning",
            f"Not single IPv4 addresses: {', '.join(bad)} (ranges and subnets are not supported; separate "
            "addresses with ';').",
            "CONFIG-IP-WHITELIST-INVALID",
            evidence,
        )
    return ConfigCheck(
        "ip-whitelist",
        title,
        "info",
        f"Requests whose NAS-IP-Address is {', '.join(entries)} skip MFA.",
        None,
        evidence,
    )


def alternate_login_check(values: Values) -> ConfigCheck:
    attribute = value_text(values, "LDAP_ALTERNATE_LOGINID_ATTRIBUTE")
    forests = value_text(values, "LDAP_LOOKUP_FORESTS")
    gc = value_text(values, "LDAP_FORCE_GLOBAL_CATALOG")
    evidence = "; ".join(
        quote(n, v)
        for n, v in (
            ("LDAP_ALTERNATE_LOGINID_ATTRIBUTE", attribute),
            ("LDAP_LOOKUP_FORESTS", forests),
            ("LDAP_FORCE_GLOBAL_CATALOG", gc),
        )
        if v is not None
    )
    if attribute:
        detail = f"Alternate login ID: the on-premises attribute {attribute!r} is sent to Entra ID as the UPN"
        if forests:
            detail += f"; forests searched: {forests}"
        if gc:
            detail += f"; LDAP_FORCE_GLOBAL_CATALOG={gc}"
        detail += ". Lookup failures show as ALTERNATE_LOGIN_ID_ERROR."
    else:
        detail = "Alternate login ID is not used: the RADIUS User-Name (after canonicalisation) is the UPN."
    return ConfigCheck("alternate-login-id", "Alternate login ID", "info", detail, None, evidence)
