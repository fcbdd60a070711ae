"""The fictional organisation the scenarios happen in: users, RADIUS clients, event-log layouts.

Static data only. The values are chosen to exercise a parser the way real bundles do: users in UPN and
DOMAIN\\user form, non-ASCII user names, an apostrophe, a RADIUS client whose friendly name holds XML
specials and one whose name holds a character outside the Basic Multilingual Plane, clients that send no
NAS-Identifier/NAS-IP-Address.
"""

from __future__ import annotations

from dataclasses import dataclass

NETBIOS_DOMAIN = "CONTOSO"
DNS_DOMAIN = "contoso.local"
DOMAIN_SID = "S-1-5-21-1390067357-1202383924-3154316512"
DOMAIN_CONTROLLERS = ("DC01.contoso.local", "DC02.contoso.local")
NULL_SID = "S-1-0-0"
NETWORK_SERVICE_SID = "S-1-5-20"
LOCAL_SYSTEM_SID = "S-1-5-18"
MFA_HOSTS = ("strongauthenticationservice.auth.microsoft.com", "adnotifications.windowsazure.com")
CRP_NAME = "Use Windows authentication for all users"
TENANT_ID = "6f1c4d2e-8b3a-4e5f-9a7b-2c3d4e5f6a7b"

# Addresses on the wire (nettrace.etl): the NPS server, the DNS server it asks (DC01), the Entra/MFA hosts'
# answers (fictional: any address works, the capture only has to be self-consistent).
NPS_ADDRESS = "10.10.0.20"
DNS_SERVER = "10.10.0.10"
ENDPOINT_ADDRESSES: dict[str, str] = {
    "strongauthenticationservice.auth.microsoft.com": "20.190.190.193",
    "adnotifications.windowsazure.com": "52.168.138.145",
    "login.microsoftonline.com": "40.126.32.134",
    "strongauthenticationservice.auth.microsoft.us": "20.140.241.8",
    "adnotifications.windowsazure.us": "52.127.64.91",
    "login.microsoftonline.us": "20.140.232.3",
}


@dataclass(frozen=True)
class User:
    """One account. ``name`` is exactly what the NAS sends as User-Name and what the extension logs."""

    name: str
    sam: str
    rid: int
    method: str  # "push" (Approve/Deny, no challenge), "otp" (authenticator code), "sms"

    @property
    def sid(self) -> str:
        return f"{DOMAIN_SID}-{self.rid}"

    @property
    def qualified(self) -> str:
        return f"{NETBIOS_DOMAIN}\\{self.sam}"


def _u(name: str, rid: int, method: str) -> User:
    sam = name.split("\\", 1)[1] if "\\" in name else name.split("@", 1)[0]
    return User(name=name, sam=sam, rid=rid, method=method)


# Everyday users: healthy traffic picks from these; scenarios may too.
POOL: tuple[User, ...] = (
    _u("anna.schmidt@contoso.com", 1104, "push"),
    _u("CONTOSO\\bwilliams", 1105, "push"),
    _u("chen.wei@contoso.com", 1106, "otp"),
    _u("søren.ågård@contoso.com", 1107, "otp"),
    _u("CONTOSO\\dkowalski", 1108, "push"),
    _u("emily.jones@contoso.com", 1109, "push"),
    _u("jörg.müller@contoso.com", 1110, "otp"),
    _u("CONTOSO\\gpatel", 1111, "otp"),
    _u("hiroshi.tanaka@contoso.com", 1112, "push"),
    _u("isabel.fernández@contoso.com", 1113, "push"),
    _u("CONTOSO\\jnguyen", 1114, "push"),
    _u("p.o'brien@contoso.com", 1115, "otp"),
    _u("CONTOSO\\mrossi", 1116, "push"),
    _u("lena.kraus@contoso.com", 1117, "otp"),
)

# Users that only appear in a specific failure mode (they cannot sign in successfully on that day).
SPECIAL: dict[str, User] = {
    u.sam: u
    for u in (
        _u("new.hire@contoso.com", 1201, "push"),  # on-prem only: not synced to Entra ID
        _u("CONTOSO\\tempcontractor", 1202, "push"),  # not in tenant (BecAccessDenied)
        _u("kim.lee@contoso.com", 1203, "push"),  # registered no method
        _u("CONTOSO\\rbaker", 1204, "sms"),  # methods but no default
        _u("olga.ivanova@contoso.com", 1205, "sms"),  # fat-fingers SMS codes
        _u("tom.becker@contoso.com", 1206, "otp"),  # typo in authenticator code
        _u("CONTOSO\\vpn-tester", 1207, "push"),  # hammers the VPN: throttled
        _u("m.dubois@fabrikam.com", 1208, "push"),  # UPN suffix of another tenant
        _u("CONTOSO\\x.legacy", 1209, "push"),  # stale account, lookup fails
    )
}


@dataclass(frozen=True)
class Nas:
    """A RADIUS client as NPS logs it in 6272/6273 (friendly name, address, attributes it sends)."""

    key: str
    friendly: str
    ip: str
    nas_ip: str  # NAS-IP-Address attribute, "-" when the client sends none
    nas_id: str  # NAS-Identifier attribute, "-" when none
    port_type: str
    auth_type: str  # Security-log AuthenticationType string: PAP, MS-CHAPv2, PEAP, EAP
    eap_type: str
    policy: str
    called: str
    # On the wire (nettrace.etl): how long the client waits for an answer before it resends a request, how
    # often it resends, its source port, and how it builds requests.
    timeout: float = 60.0
    retries: int = 3
    port: int = 1812
    message_authenticator: bool = True  # sends Message-Authenticator (attribute 80)
    proxy_state: bool = False  # adds Proxy-State (attribute 33), as a RADIUS proxy does
    secret_matches: bool = True  # its shared secret is the one configured on NPS
    known: bool = True  # configured as a RADIUS client on NPS at all

    @property
    def pap(self) -> bool:
        return self.auth_type == "PAP"

    @property
    def protocol(self) -> str:
        """Credential format of its Access-Requests: "PAP", "MS-CHAPv2" or "EAP" (PEAP is carried in EAP)."""
        return "EAP" if self.auth_type in ("PEAP", "EAP") else self.auth_type


NAS_CLIENTS: dict[str, Nas] = {
    n.key: n
    for n in (
        Nas(
            "vpn",
            "VPN-GW01",
            "10.10.1.10",
            "10.10.1.10",
            "vpn-gw01",
            "Virtual",
            "PAP",
            "-",
            "VPN - Azure MFA",
            "203.0.113.10",
            timeout=30.0,
            port=49_152,
        ),
        Nas(
            "citrix",
            "Citrix ADC",
            "10.10.1.20",
            "10.10.1.20",
            "ns-adc01",
            "Virtual",
            "PAP",
            "-",
            "Citrix Gateway - Azure MFA",
            "203.0.113.20",
            timeout=60.0,
            port=31_245,
        ),
        Nas(
            "rdg",
            "RDGW01",
            "10.10.2.5",
            "10.10.2.5",
            "RDGW01",
            "Virtual",
            "MS-CHAPv2",
            "-",
            "RD Gateway - Azure MFA",
            "UserAuthType:PW",
            timeout=60.0,
            port=55_012,
        ),
        Nas(
            "wifi",
            "Guest Wi-Fi \U0001f4f6",
            "10.10.3.2",
            "10.10.3.2",
            "wlc-01",
            "Wireless - IEEE 802.11",
            "PEAP",
            "Microsoft: Secured password (EAP-MSCHAP v2)",
            "Wireless - PEAP",
            "00-11-22-33-44-55:Contoso-Staff",
            timeout=30.0,
            port=32_768,
        ),
        Nas(
            "lab",
            "R&D <Lab> VPN",
            "10.10.4.1",
            "10.10.4.1",
            "lab-fw",
            "Virtual",
            "PAP",
            "-",
            "VPN - Azure MFA",
            "198.51.100.4",
            timeout=45.0,
            port=1_812,
        ),
        Nas(
            "opnsense", "OPNsense-FW", "10.10.5.1", "-", "-", "Virtual", "PAP", "-", "VPN - Azure MFA", "-", port=13_441
        ),
        # A VPN whose RADIUS timeout is 5 s: it resends while the user is still approving the push.
        Nas(
            "fortigate",
            "FortiGate-VPN",
            "10.10.1.30",
            "10.10.1.30",
            "fgt-vpn01",
            "Virtual",
            "PAP",
            "-",
            "VPN - Azure MFA",
            "203.0.113.30",
            timeout=5.0,
            port=1_024,
        ),
        # A firewall relaying RADIUS with Proxy-State but no Message-Authenticator (dropped: System NPS 4418).
        Nas(
            "edge-fw",
            "Edge-FW (RADIUS proxy)",
            "10.10.1.40",
            "10.10.1.40",
            "edge-fw01",
            "Virtual",
            "PAP",
            "-",
            "VPN - Azure MFA",
            "203.0.113.40",
            port=1_645,
            message_authenticator=False,
            proxy_state=True,
        ),
        # An 802.1X switch added with the wrong shared secret (System NPS 18).
        Nas(
            "switch",
            "SW-07 (802.1X)",
            "10.10.6.7",
            "10.10.6.7",
            "sw-07",
            "Ethernet",
            "EAP",
            "-",
            "Wired - 802.1X",
            "00-1B-54-AA-07-01",
            port=50_001,
            secret_matches=False,
        ),
        # A re-addressed access point NPS does not know as a RADIUS client (System NPS 13).
        Nas(
            "ap-unknown",
            "(not a RADIUS client)",
            "10.10.8.44",
            "10.10.8.44",
            "ap-3f-12",
            "Wireless - IEEE 802.11",
            "EAP",
            "-",
            "-",
            "00-11-22-33-44-66:Contoso-Staff",
            port=1_812,
            known=False,
        ),
    )
}

# Relative weight of each client in healthy traffic.
HEALTHY_NAS_WEIGHTS: dict[str, int] = {"vpn": 10, "citrix": 4, "rdg": 3, "wifi": 2, "lab": 1}


@dataclass(frozen=True)
class MfaLayout:
    """How the AzureMfa events look: channel and provider spelling, EventData shape.

    None of this is public (domain-facts §1.1, §1.3, §9), so scenarios vary it and nothing downstream may
    depend on one form.

    ``data``: "single" = the whole message in one unnamed <Data>; "split" = the message cut at its grammar
    boundaries into several unnamed <Data> elements (joining them with one space gives the message back);
    "split-noprefix" = the same without the "NPS Extension for Azure MFA:" piece, as if the provider's
    message template held the prefix; "shuffled" / "shuffled-noprefix" = those pieces in an order of their own
    (seeded by the message, so a bundle stays reproducible); "tokens" = one <Data> per word; "insertion" = an
    event that carries a code written as its insertion strings alone (CID, user, code, message text, in a
    seeded order, no sentence), as a provider whose manifest holds the sentence would; events without a code of
    their own (challenge, warnings) keep the split form there, since nothing but their sentence names them.
    """

    channels: str = "short"  # "short" AuthZOptCh, "long" Microsoft-AzureMfa-AuthZ/AuthZOptCh
    providers: str = "long"  # "long" Microsoft-AzureMfa-AuthZ, "short" AuthZ
    data: str = "single"

    def channel(self, log: str) -> str:
        """Channel name of ``log`` ("AuthNOptCh", "AuthZOptCh", "AuthZAdminCh")."""
        if self.channels == "short":
            return log
        return f"Microsoft-AzureMfa-{log[:5]}/{log}"

    def provider(self, log: str) -> tuple[str, str | None]:
        """Provider name and GUID for events of ``log``.

        The GUIDs are the two providers the bundle's logman trace enables; that they are also the event
        providers is an assumption (nothing public says so), which is why the short form carries none.
        """
        part = log[:5]  # AuthN / AuthZ
        if self.providers == "short":
            return part, None
        guid = "{7237ED00-E119-430B-AB0F-C63360C8EE81}" if part == "AuthN" else "{EC2E6D3A-C958-4C76-8EA4-0262520886FF}"
        return f"Microsoft-AzureMfa-{part}", guid


LAYOUTS: dict[str, MfaLayout] = {
    "single": MfaLayout("short", "long", "single"),
    "single-long": MfaLayout("long", "short", "single"),
    "split": MfaLayout("short", "long", "split"),
    "split-long": MfaLayout("long", "long", "split"),
    "split-noprefix": MfaLayout("short", "short", "split-noprefix"),
    "shuffled": MfaLayout("short", "long", "shuffled"),
    "shuffled-noprefix": MfaLayout("long", "short", "shuffled-noprefix"),
    "tokens": MfaLayout("long", "long", "tokens"),
    "insertion": MfaLayout("short", "long", "insertion"),
}
