"""Check the NPS extension's registry configuration (AzureMfa key, AuthSrv\\Parameters) against known-good values.

Why: a bundle's registry dumps answer questions the event logs cannot. Is the extension loaded at all (if the
AuthSrv DLL values are empty NPS never calls it, so MFA is silently bypassed)? Which cloud does it talk to? Was
it installed by a pre-2023 version? Are risky switches on (REQUIRE_USER_MATCH=FALSE lets un-enrolled users
in)? Expected values come from the health-check script and Microsoft's docs
(``docs/reference/domain-facts.md`` §3.1, §3b, §5.3).

Input: the value maps of the two keys, as :mod:`nps_trace_analyzer.sources.regdump` returns them
(``azuremfa_values(dump)``, ``authsrv_parameters(dump)``); ``None`` means "no dump in the bundle", ``{}``
means "dumped, but the key is missing or empty". Plain strings are accepted as values too.

Output: :class:`ConfigCheck` rows with a stable ``check_id`` and, for anything not "ok", a ``code`` for the
catalog (see :data:`CODES`). Before/after dumps (the health check saves both around setting ``VERBOSE_LOG``) go
through :func:`check_before_after`: the *after* state is what ran during the capture.

This module checks where the extension connects and who it is (DLL registration, client id, endpoints and
cloud, tenant and certificate); the behaviour switches are checked in :mod:`.config_switches`, and both read
values through :mod:`.config_values`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from nps_trace_analyzer.analysis.config_switches import alternate_login_check, ip_whitelist_check, switch_checks
from nps_trace_analyzer.analysis.config_values import (
    ConfigCheck,
    Values,
    host_of,
    quote,
    raw_value,
    url_parts,
    value_items,
    value_text,
)
from nps_trace_analyzer.core.domain import MFA_ENDPOINT_CLOUDS

CLIENT_ID = "981f26a1-7f43-403b-a875-f8b09b8cd720"  # "Azure Multi-Factor Auth Client"
TARGET_PATH = "StrongAuthenticationService.svc/Connector"
AUTHZ_DLL = "mfanpsauthzext.dll"
AUTHN_DLL = "mfanpsauthnext.dll"

# Host -> cloud (one list for the whole tool: nps_trace_analyzer.core.domain).
CLOUD_HOSTS: dict[str, str] = MFA_ENDPOINT_CLOUDS
CLOUD_NAMES = {
    "public": "public (commercial) cloud",
    "government": "Azure Government cloud",
    "china": "Microsoft Azure operated by 21Vianet (China)",
}

CODES: dict[str, str] = {
    "CONFIG-AZUREMFA-KEY-MISSING": "problem: HKLM\\SOFTWARE\\Microsoft\\AzureMfa missing or empty",
    "CONFIG-EXTENSION-DLLS-MISSING": "problem: AuthorizationDLLs/ExtensionDLLs lack the extension: MFA is bypassed",
    "CONFIG-EXTENSION-DLLS-SWAPPED": "problem: the two extension DLLs are registered under each other's value",
    "CONFIG-CLIENT-ID-MISSING": "problem: CLIENT_ID missing",
    "CONFIG-CLIENT-ID-WRONG": "problem: CLIENT_ID is not the Azure Multi-Factor Auth Client app id",
    "CONFIG-REQUIRED-VALUE-MISSING": "problem: AZURE_MFA_HOSTNAME / AZURE_MFA_TARGET_PATH / STS_URL missing",
    "CONFIG-MIXED-CLOUD": "problem: endpoints of different clouds",
    "CONFIG-GOV-CLOUD": "info: Azure Government endpoints",
    "CONFIG-CHINA-CLOUD": "info: China (21Vianet) endpoints",
    "CONFIG-UNKNOWN-ENDPOINT": "warning: an endpoint host that is none of the known clouds' hosts",
    "CONFIG-PRE-2023-ENDPOINTS": "warning: pre-2023 endpoint layout: old extension version",
    "CONFIG-MFA-HOSTNAME-UNEXPECTED": "warning: AZURE_MFA_HOSTNAME is the notification host on a current layout",
    "CONFIG-RESOURCE-HOSTNAME-MISSING": "warning: AZURE_MFA_RESOURCE_HOSTNAME missing on a current layout",
    "CONFIG-TARGET-PATH-UNEXPECTED": "warning: AZURE_MFA_TARGET_PATH is not StrongAuthenticationService.svc/Connector",
    "CONFIG-STS-URL-UNEXPECTED": "warning: STS_URL is not an https login endpoint",
    "CONFIG-TENANT-ID-INVALID": "warning: TENANT_ID is not a GUID",
    "CONFIG-CERT-TENANT-MISMATCH": "warning: CLIENT_CERT_IDENTIFIER subject CN differs from TENANT_ID",
    "CONFIG-REQUIRE-USER-MATCH-FALSE": "warning: un-enrolled users pass without MFA",
    "CONFIG-BOOLEAN-NOT-UPPERCASE": "warning: TRUE/FALSE switch not in upper case",
    "CONFIG-BOOLEAN-VALUE-INVALID": "warning: a TRUE/FALSE switch holds something else",
    "CONFIG-IP-WHITELIST-ABSENT": "info: IP_WHITELIST not created: explains the benign REGISTRY_CONFIG_ERROR",
    "CONFIG-IP-WHITELIST-INVALID": "warning: IP_WHITELIST entries that are not single IPv4 addresses",
    "CONFIG-CHANGED-DURING-CAPTURE": "info: values differ between the Before and After dumps beyond VERBOSE_LOG",
}
"""Every code :func:`check_server_config` / :func:`check_before_after` can emit, with its meaning."""

_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_THUMBPRINT_RE = re.compile(r"^[0-9a-fA-F]{40}$")


# --- the checks -------------------------------------------------------------------------------------------


def _extension_dlls(authsrv: Values) -> ConfigCheck:
    title = "NPS extension DLLs registered with NPS"
    if authsrv is None:
        return ConfigCheck("extension-dlls", title, "unknown", "No AuthSrv\\Parameters dump in the bundle.", None, "")
    authz = value_items(authsrv, "AuthorizationDLLs") or []
    authn = value_items(authsrv, "ExtensionDLLs") or []
    evidence = "; ".join(
        quote(name, value_text(authsrv, name) if raw_value(authsrv, name) is not None else None)
        for name in ("AuthorizationDLLs", "ExtensionDLLs")
    )
    has_authz = any(d.lower().endswith(AUTHZ_DLL) for d in authz)
    has_authn = any(d.lower().endswith(AUTHN_DLL) for d in authn)
    others = [d for d in authz + authn if not d.lower().endswith((AUTHZ_DLL, AUTHN_DLL))]
    if has_authz and has_authn:
        detail = (
            "AuthorizationDLLs holds MfaNpsAuthzExt.dll and ExtensionDLLs holds MfaNpsAuthnExt.dll: NPS loads "
            "the extension."
        )
        if others:
            detail += f" Other extension DLLs are registered too and run in the same chain: {', '.join(others)}."
        return ConfigCheck("extension-dlls", title, "ok", detail, None, evidence)
    swapped = any(d.lower().endswith(AUTHN_DLL) for d in authz) and any(d.lower().endswith(AUTHZ_DLL) for d in authn)
    if swapped:
        return ConfigCheck(
            "extension-dlls",
            title,
            "problem",
            "The two DLLs are registered under each other's value (MfaNpsAuthnExt.dll belongs in ExtensionDLLs, "
            "MfaNpsAuthzExt.dll in AuthorizationDLLs). Re-run the extension installer.",
            "CONFIG-EXTENSION-DLLS-SWAPPED",
            evidence,
        )
    missing = [
        name
        for name, ok, dll in (
            ("AuthorizationDLLs", has_authz, "MfaNpsAuthzExt.dll"),
            ("ExtensionDLLs", has_authn, "MfaNpsAuthnExt.dll"),
        )
        if not ok
    ]
    if len(missing) == 2:
        detail = (
            "Neither AuthorizationDLLs nor ExtensionDLLs names the NPS extension, so NPS never calls it: requests "
            "are decided on primary authentication alone and MFA is bypassed."
        )
    else:
        detail = (
            f"{missing[0]} does not name the extension DLL while the other value does: the extension is only "
            "half registered, so MFA is not enforced reliably."
        )
    detail += (
        " The health-check script's NPS-only test (option 1) empties these values on purpose and restores them "
        "from AuthSrv.reg afterwards; if this dump was taken during that test, restore them. Otherwise re-run "
        "the extension installer and restart the NPS service."
    )
    return ConfigCheck("extension-dlls", title, "problem", detail, "CONFIG-EXTENSION-DLLS-MISSING", evidence)


def _client_id(values: Values) -> ConfigCheck:
    title = "CLIENT_ID is the Azure Multi-Factor Auth Client application"
    value = value_text(values, "CLIENT_ID")
    evidence = quote("CLIENT_ID", value)
    if value is None or value == "":
        return ConfigCheck(
            "client-id",
            title,
            "problem",
            f"CLIENT_ID is missing; the extension cannot request tokens. Expected {CLIENT_ID}. Re-run the installer.",
            "CONFIG-CLIENT-ID-MISSING",
            evidence,
        )
    if value.lower() != CLIENT_ID:
        return ConfigCheck(
            "client-id",
            title,
            "problem",
            f"CLIENT_ID is {value}, not {CLIENT_ID} (the 'Azure Multi-Factor Auth Client' app id); token requests "
            "will fail (ESTS_TOKEN_ERROR).",
            "CONFIG-CLIENT-ID-WRONG",
            evidence,
        )
    return ConfigCheck("client-id", title, "ok", "CLIENT_ID has the expected application id.", None, evidence)


def _required(values: Values) -> ConfigCheck:
    names = ("AZURE_MFA_HOSTNAME", "AZURE_MFA_TARGET_PATH", "STS_URL")
    missing = [n for n in names if not value_text(values, n)]
    evidence = "; ".join(quote(n, value_text(values, n)) for n in names)
    title = "Endpoint values present"
    if missing:
        return ConfigCheck(
            "required-values",
            title,
            "problem",
            f"Missing or empty: {', '.join(missing)}. The extension logs REGISTRY_CONFIG_ERROR and cannot reach "
            "the MFA service; re-run the installer (and the configuration script).",
            "CONFIG-REQUIRED-VALUE-MISSING",
            evidence,
        )
    return ConfigCheck("required-values", title, "ok", "All endpoint values are set.", None, evidence)


def _cloud(values: Values) -> ConfigCheck:
    title = "Cloud of the configured endpoints"
    names = ("AZURE_MFA_HOSTNAME", "AZURE_MFA_RESOURCE_HOSTNAME", "STS_URL")
    hosts = {n: host_of(v) for n in names if (v := value_text(values, n))}
    evidence = "; ".join(quote(n, value_text(values, n)) for n in names if value_text(values, n) is not None)
    if not hosts:
        return ConfigCheck("cloud", title, "unknown", "No endpoint values to classify.", None, evidence)
    clouds = {n: CLOUD_HOSTS.get(h, "") for n, h in hosts.items()}
    known = sorted({c for c in clouds.values() if c})
    unknown = [f"{n} ({hosts[n]})" for n, c in clouds.items() if not c]
    if len(known) > 1:
        parts = ", ".join(f"{n} -> {CLOUD_NAMES[c]}" for n, c in clouds.items() if c)
        return ConfigCheck(
            "cloud",
            title,
            "problem",
            f"The endpoints belong to different clouds ({parts}); token or MFA calls go to the wrong cloud. "
            "Use one cloud's values throughout.",
            "CONFIG-MIXED-CLOUD",
            evidence,
        )
    if unknown:
        return ConfigCheck(
            "cloud",
            title,
            "warning",
            f"Not a known Microsoft cloud endpoint: {', '.join(unknown)}. A proxy alias or a typo; check that the "
            "host resolves and serves the MFA endpoints.",
            "CONFIG-UNKNOWN-ENDPOINT",
            evidence,
        )
    cloud = known[0]
    if cloud == "government":
        return ConfigCheck(
            "cloud",
            title,
            "info",
            "Azure Government endpoints (.us): users and the tenant must be in Azure Government; network rules "
            "must allow the .us hosts.",
            "CONFIG-GOV-CLOUD",
            evidence,
        )
    if cloud == "china":
        return ConfigCheck(
            "cloud",
            title,
            "info",
            "China (21Vianet) endpoints (.cn): the tenant must be a 21Vianet tenant; network rules must allow "
            "the .cn hosts.",
            "CONFIG-CHINA-CLOUD",
            evidence,
        )
    return ConfigCheck("cloud", title, "ok", "Public (commercial) cloud endpoints.", None, evidence)


def _endpoint_version(values: Values) -> ConfigCheck | None:
    hostname = value_text(values, "AZURE_MFA_HOSTNAME")
    resource = value_text(values, "AZURE_MFA_RESOURCE_HOSTNAME")
    if not hostname:
        return None
    title = "Endpoint layout matches a current extension version"
    evidence = f"{quote('AZURE_MFA_HOSTNAME', hostname)}; {quote('AZURE_MFA_RESOURCE_HOSTNAME', resource)}"
    host = host_of(hostname)
    if host.startswith("adnotifications."):
        if not resource:
            return ConfigCheck(
                "endpoint-version",
                title,
                "warning",
                "AZURE_MFA_HOSTNAME is the notification host and AZURE_MFA_RESOURCE_HOSTNAME is absent: the "
                "layout Microsoft's health-check script expected before its 2023 update, usually an old extension "
                "build (or values set by hand). Check the installed version; upgrade if old (https://aka.ms/npsmfa).",
                "CONFIG-PRE-2023-ENDPOINTS",
                evidence,
            )
        return ConfigCheck(
            "endpoint-version",
            title,
            "warning",
            "AZURE_MFA_HOSTNAME points to the notification host while AZURE_MFA_RESOURCE_HOSTNAME is set: current "
            "versions expect strongauthenticationservice.auth.microsoft.* in AZURE_MFA_HOSTNAME.",
            "CONFIG-MFA-HOSTNAME-UNEXPECTED",
            evidence,
        )
    if host.startswith("strongauthenticationservice.") and not resource:
        return ConfigCheck(
            "endpoint-version",
            title,
            "warning",
            "AZURE_MFA_HOSTNAME is the current MFA host but AZURE_MFA_RESOURCE_HOSTNAME is missing; current "
            "installers write both (adnotifications.windowsazure.* as the resource host).",
            "CONFIG-RESOURCE-HOSTNAME-MISSING",
            evidence,
        )
    return ConfigCheck("endpoint-version", title, "ok", "Current (2023+) endpoint layout.", None, evidence)


def _target_path(values: Values) -> ConfigCheck | None:
    value = value_text(values, "AZURE_MFA_TARGET_PATH")
    if not value:
        return None
    title = "AZURE_MFA_TARGET_PATH"
    evidence = quote("AZURE_MFA_TARGET_PATH", value)
    if value.strip("/").lower() == TARGET_PATH.lower():
        return ConfigCheck("target-path", title, "ok", "Expected service path.", None, evidence)
    return ConfigCheck(
        "target-path",
        title,
        "warning",
        f"Expected {TARGET_PATH}; MFA calls to another path fail.",
        "CONFIG-TARGET-PATH-UNEXPECTED",
        evidence,
    )


def _sts_url(values: Values) -> ConfigCheck | None:
    value = value_text(values, "STS_URL")
    if not value:
        return None
    title = "STS_URL (token endpoint)"
    evidence = quote("STS_URL", value)
    scheme, host = url_parts(value)
    if scheme == "https" and host.startswith("login.") and host in CLOUD_HOSTS:
        return ConfigCheck("sts-url", title, "ok", f"https://{host}/ is a Microsoft login endpoint.", None, evidence)
    return ConfigCheck(
        "sts-url",
        title,
        "warning",
        "STS_URL is not https://login.microsoftonline.com/ (or the .us / China login host): ESTS_TOKEN_ERROR "
        "'Verify ... the server can access URL in Registry STS_URL' follows.",
        "CONFIG-STS-URL-UNEXPECTED",
        evidence,
    )


def _tenant(values: Values) -> list[ConfigCheck]:
    out: list[ConfigCheck] = []
    tenant = value_text(values, "TENANT_ID")
    evidence = quote("TENANT_ID", tenant)
    if tenant is None or tenant == "":
        out.append(
            ConfigCheck(
                "tenant-id",
                "TENANT_ID",
                "info",
                "TENANT_ID is not set (older configuration scripts do not write it); the tenant is the CN of the "
                "extension's client certificate.",
                None,
                evidence,
            )
        )
    elif _GUID_RE.match(tenant):
        out.append(ConfigCheck("tenant-id", "TENANT_ID", "ok", f"Tenant {tenant.lower()}.", None, evidence))
    else:
        out.append(
            ConfigCheck(
                "tenant-id",
                "TENANT_ID",
                "warning",
                f"TENANT_ID {tenant!r} is not a GUID; re-run AzureMfaNpsExtnConfigSetup.ps1 with the tenant id.",
                "CONFIG-TENANT-ID-INVALID",
                evidence,
            )
        )
    cert = value_text(values, "CLIENT_CERT_IDENTIFIER")
    if cert:
        cert_evidence = quote("CLIENT_CERT_IDENTIFIER", cert)
        cn = re.search(r"CN\s*=\s*([^,]+)", cert, re.IGNORECASE)
        if _THUMBPRINT_RE.match(cert.replace(" ", "")):
            detail, status, code = (
                "The client certificate is chosen by thumbprint (extension 1.2.2893.1 or later).",
                "info",
                None,
            )
        elif cn and tenant and _GUID_RE.match(tenant) and cn.group(1).strip().lower() != tenant.lower():
            detail, status, code = (
                f"The certificate subject CN {cn.group(1).strip()} is not TENANT_ID {tenant}: the extension "
                "presents a certificate of another tenant (ESTS_TOKEN_ERROR).",
                "warning",
                "CONFIG-CERT-TENANT-MISMATCH",
            )
        else:
            detail, status, code = (f"The client certificate is chosen by subject {cert}.", "info", None)
        out.append(ConfigCheck("client-cert-identifier", "CLIENT_CERT_IDENTIFIER", status, detail, code, cert_evidence))
    return out


def check_server_config(azuremfa: Values, authsrv: Values, *, source: str = "") -> list[ConfigCheck]:
    """All configuration checks for one state of the server (one Before or After pair, or single dumps).

    ``azuremfa``/``authsrv``: value maps of ``HKLM\\SOFTWARE\\Microsoft\\AzureMfa`` and
    ``...\\Services\\AuthSrv\\Parameters``; None when the bundle has no such dump, ``{}`` when the dump shows
    the key missing or empty. ``source`` labels the rows ("before"/"after").
    """
    checks: list[ConfigCheck] = [_extension_dlls(authsrv)]
    if azuremfa is None:
        checks.append(
            ConfigCheck(
                "azuremfa-key",
                "AzureMfa registry key",
                "unknown",
                "No AzureMfa registry dump in the bundle.",
                None,
                "",
            )
        )
    elif not azuremfa:
        checks.append(
            ConfigCheck(
                "azuremfa-key",
                "AzureMfa registry key",
                "problem",
                "HKLM\\SOFTWARE\\Microsoft\\AzureMfa is missing or has no values: the NPS extension is not installed "
                "or was uninstalled; reinstall it and run AzureMfaNpsExtnConfigSetup.ps1.",
                "CONFIG-AZUREMFA-KEY-MISSING",
                "AzureMfa key: no values",
            )
        )
    else:
        checks.append(
            ConfigCheck(
                "azuremfa-key",
                "AzureMfa registry key",
                "ok",
                f"{len(azuremfa)} values.",
                None,
                ", ".join(sorted(azuremfa)),
            )
        )
        checks.append(_client_id(azuremfa))
        checks.append(_required(azuremfa))
        checks.append(_cloud(azuremfa))
        checks.extend(c for c in (_endpoint_version(azuremfa), _target_path(azuremfa), _sts_url(azuremfa)) if c)
        checks.extend(_tenant(azuremfa))
        checks.extend(switch_checks(azuremfa))
        checks.append(ip_whitelist_check(azuremfa))
        checks.append(alternate_login_check(azuremfa))
    return [replace(c, source=source) for c in checks] if source else checks


# --- before / after ---------------------------------------------------------------------------------------


def _value_map(values: Values) -> dict[str, str]:
    return {key.upper(): value_text(values, key) or "" for key in (values or {})}


def compare_config(before: Values, after: Values, *, key: str) -> ConfigCheck | None:
    """What changed in one key between the Before and After dumps (None when either dump is absent)."""
    if before is None or after is None:
        return None
    old, new = _value_map(before), _value_map(after)
    changes = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            changes.append(
                f"{name}: {old[name] if name in old else '(not set)'} -> {new[name] if name in new else '(not set)'}"
            )
    check_id = f"changed-during-capture-{key.lower()}"
    title = f"{key} values Before vs After the capture"
    if not changes:
        return ConfigCheck(check_id, title, "ok", "Identical.", None, "")
    if all(change.startswith("VERBOSE_LOG:") for change in changes):
        return ConfigCheck(
            check_id,
            title,
            "info",
            "Only VERBOSE_LOG changed, as the health-check script does for the capture.",
            None,
            "; ".join(changes),
        )
    return ConfigCheck(
        check_id,
        title,
        "info",
        "Values changed between the two dumps beyond VERBOSE_LOG; the After state is what ran during the capture.",
        "CONFIG-CHANGED-DURING-CAPTURE",
        "; ".join(changes),
    )


def check_before_after(
    before_azuremfa: Values,
    before_authsrv: Values,
    after_azuremfa: Values,
    after_authsrv: Values,
) -> list[ConfigCheck]:
    """Checks for a health-check capture: the After state in full (``source="after"``), the Before rows whose
    verdict differs from After's (``source="before"``), and one comparison row per key.

    When only one of the two states is present it is checked in full with its own label.
    """
    have_after = after_azuremfa is not None or after_authsrv is not None
    have_before = before_azuremfa is not None or before_authsrv is not None
    if not have_after:
        return check_server_config(before_azuremfa, before_authsrv, source="before") if have_before else []
    checks = check_server_config(after_azuremfa, after_authsrv, source="after")
    if have_before:
        after_status = {(c.check_id, c.status, c.code) for c in checks}
        for check in check_server_config(before_azuremfa, before_authsrv, source="before"):
            if check.status != "unknown" and (check.check_id, check.status, check.code) not in after_status:
                checks.append(check)
    for key, old, new in (("AzureMfa", before_azuremfa, after_azuremfa), ("AuthSrv", before_authsrv, after_authsrv)):
        comparison = compare_config(old, new, key=key)
        if comparison:
            checks.append(comparison)
    return checks
