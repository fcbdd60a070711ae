"""Server-wide settings a scenario may change: what the registry holds, whether NPS audits, which cloud.

Why: some failure modes are not events but the state of the whole server (the extension's DLLs unregistered,
NPS auditing turned off, an old or a Government-cloud endpoint layout). They change every file of the bundle
at once (registry dumps, which events exist, which hosts the capture talks to), so a scenario states them as
settings and the bundle builder merges the settings of all chosen scenarios into one :class:`ServerSettings`.

Merging is by field: booleans that turn something off win over the default, value lists are joined, and
for the rest the last scenario that sets a field wins. Two scenarios never disagree on a field today; the
rule only has to be deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace

CLOUDS = ("public", "government")
ENDPOINT_LAYOUTS = ("current", "pre-2023")


@dataclass(frozen=True)
class ServerSettings:
    """The NPS server's configuration during the bundle's day.

    ``auditing``: NPS writes Security 6272/6273/6274 (the "Network Policy Server" audit subcategory).
    ``extension_dlls``: AuthSrv\\Parameters names the extension's DLLs, so NPS loads it.
    ``cloud`` / ``endpoints``: which hosts the AzureMfa key names (public or Azure Government; the current
    layout with AZURE_MFA_RESOURCE_HOSTNAME, or the pre-2023 one without it).
    ``missing_values``: AzureMfa values the configuration script never wrote.
    ``ip_whitelist``: the IP_WHITELIST value, None when it does not exist (the installer's default).
    ``otp_override``: OVERRIDE_NUMBER_MATCHING_WITH_OTP, None when not set.
    ``alternate_login_id``: LDAP_ALTERNATE_LOGINID_ATTRIBUTE, None when not used.
    ``accounting``: NPS also writes a database-compatible accounting log (IN<yymmdd>.log) of its RADIUS traffic.
    """

    auditing: bool = True
    extension_dlls: bool = True
    cloud: str = "public"
    endpoints: str = "current"
    missing_values: tuple[str, ...] = ()
    ip_whitelist: str | None = None
    otp_override: str | None = None
    alternate_login_id: str | None = None
    accounting: bool = False

    def __post_init__(self) -> None:
        if self.cloud not in CLOUDS:
            raise ValueError(f"unknown cloud {self.cloud!r}")
        if self.endpoints not in ENDPOINT_LAYOUTS:
            raise ValueError(f"unknown endpoint layout {self.endpoints!r}")

    @property
    def mfa_host(self) -> str:
        """The host the extension sends MFA requests to (AZURE_MFA_HOSTNAME)."""
        suffix = "us" if self.cloud == "government" else "com"
        if self.endpoints == "pre-2023":
            return f"adnotifications.windowsazure.{suffix}"
        return f"strongauthenticationservice.auth.microsoft.{suffix}"

    @property
    def resource_host(self) -> str | None:
        """AZURE_MFA_RESOURCE_HOSTNAME (None in the pre-2023 layout, which has no such value)."""
        if self.endpoints == "pre-2023":
            return None
        return "adnotifications.windowsazure.us" if self.cloud == "government" else "adnotifications.windowsazure.com"

    @property
    def sts_host(self) -> str:
        """The token endpoint's host (STS_URL)."""
        return "login.microsoftonline.us" if self.cloud == "government" else "login.microsoftonline.com"

    @property
    def extension_active(self) -> bool:
        """NPS calls the extension (its DLLs are registered)."""
        return self.extension_dlls


_OFF_WINS = ("auditing", "extension_dlls")
_ON_WINS = ("accounting",)


def merge(overrides: Iterable[Mapping[str, object]]) -> ServerSettings:
    """One :class:`ServerSettings` from the scenarios' overrides, in scenario order (see the module docstring).

    Raises KeyError for a field :class:`ServerSettings` does not have.
    """
    known = {f.name for f in fields(ServerSettings)}
    settings = ServerSettings()
    for override in overrides:
        unknown = set(override) - known
        if unknown:
            raise KeyError(f"unknown server setting(s): {', '.join(sorted(unknown))}")
        changes: dict[str, object] = {}
        for name, value in override.items():
            if name in _OFF_WINS:
                changes[name] = bool(getattr(settings, name)) and bool(value)
            elif name in _ON_WINS:
                changes[name] = bool(getattr(settings, name)) or bool(value)
            elif name == "missing_values":
                joined = tuple(getattr(settings, name)) + tuple(value)  # type: ignore[arg-type]
                changes[name] = tuple(dict.fromkeys(joined))
            else:
                changes[name] = value
        settings = replace(settings, **changes)  # type: ignore[arg-type]
    return settings
