"""Redaction at the report boundary: every string that leaves the tool passes one :class:`Redactor`.

A bundle names people and machines everywhere: user names (UPN and ``DOMAIN\\user``), NAS and server names, client
addresses, station ids, the tenant id. Cases go to vendors and to Microsoft, who must not get those. Two mechanisms
work together because neither alone is enough:

* **What the analysis learned.** Structured fields name identifiers whose shape says nothing (a bare account
  ``bwilliams``, a NAS called ``Citrix ADC``, a host ``NPS01``). The pipeline shows the redactor every event and
  finding it reads (:meth:`Redactor.learn_event`, :meth:`Redactor.learn_attrs`), and the redactor replaces those
  exact values wherever they occur later.
* **Detectors for free text.** Event texts, reader warnings and file names carry identifiers no field announced: UPNs,
  ``DOMAIN\\user``, IPv4/IPv6 and MAC addresses, domain SIDs, GUIDs (tenant, client, correlation ids), host names.

Kept as they are: Microsoft's endpoints and application ids (allow-lists below, taken from the modules that own them),
error codes, catalog text (the document keys in :data:`CATALOG_KEYS` are not rewritten) and times.

Replacement is one left-to-right pass of a single regular expression, so a pseudonym is never rewritten again and the
result does not depend on the order of the rules. The same value always gets the same pseudonym
(:class:`~nps_trace_analyzer.report.pseudonym.Pseudonyms`), across every output file of a run and, with a reused
key, across runs.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from nps_trace_analyzer.analysis.config_checks import CLIENT_ID
from nps_trace_analyzer.core.domain import MFA_ENDPOINTS
from nps_trace_analyzer.core.model import Event, Finding
from nps_trace_analyzer.report.pseudonym import Pseudonyms
from nps_trace_analyzer.sources.etl.npsext import NPS_PROVIDER, NPS_PROVIDER_2

# The document key naming the bundle (report/result.py): see Redactor.bundle_title.
BUNDLE_KEY = "bundle"
# Document keys whose values are catalog text, codes, vocabularies, hashes or times: never identifiers.
CATALOG_KEYS = frozenset(
    {
        "title",
        "steps",
        "doc_links",
        "primary_code",
        "codes",
        "code",
        "category",
        "severity",
        "kind",
        "schema_version",
        "catalog_version",
        "sha256",
        "generated_at",
        "first_seen",
        "last_seen",
        "first_time",
        "last_time",
        "time",
        "start",
    }
)

# Event data fields (NPS audit events, System events) that hold an identifier, by kind.
FIELD_KINDS: Mapping[str, str] = {
    "subjectusername": "user",
    "targetusername": "user",
    "fullyqualifiedsubjectusername": "user",
    "username": "user",
    "user-name": "user",
    "accountname": "user",
    "subjectdomainname": "domain",
    "targetdomainname": "domain",
    "subjectmachinename": "host",
    "fullyqualifiedsubjectmachinename": "host",
    "authenticationserver": "host",
    "nasidentifier": "host",
    "computername": "host",
    "workstationname": "host",
    "clientname": "nas",
    "callingstationid": "station",
    "calledstationid": "station",
}

# Finding/incident attributes that hold an identifier, by kind (the rest are codes, states and texts).
ATTR_KINDS: Mapping[str, str] = {
    "user": "user",
    "account": "user",
    "server": "host",
    "auth_server": "host",
    "client_machine": "host",
    "nas_identifier": "host",
    "domain": "domain",
    "nas": "nas",
    "radius_client": "nas",
    "calling_station": "station",
    "called_station": "station",
}

_PRECEDENCE = ("user", "host", "nas", "domain", "station")
_EMPTY = frozenset({"", "-", "n/a", "none", "null", "unknown", "localhost"})
# Microsoft's ids, the same on every server: the extension's client app, the Azure Multi-Factor Auth Connector app
# (the NPS extension docs' service-principal steps, catalog AADSTS700016), Graph, the extension's two ETW providers,
# and the nil GUID.
_KEPT_GUIDS = frozenset(
    {
        CLIENT_ID,
        "1f5530b3-261a-47a9-b357-ded261e17918",
        "00000003-0000-0000-c000-000000000000",
        str(NPS_PROVIDER),
        str(NPS_PROVIDER_2),
        "00000000-0000-0000-0000-000000000000",
    }
)
_MICROSOFT_SUFFIXES = (
    "microsoft.com",
    "microsoftonline.com",
    "microsoftonline.us",
    "microsoftonline.cn",
    "windowsazure.com",
    "windowsazure.us",
    "windowsazure.cn",
    "chinacloudapi.cn",
    "azure.com",
    "azure.us",
    "azure.cn",
    "windows.net",
    "windows.com",
    "msftauth.net",
    "msauth.net",
    "live.com",
    "windowsupdate.com",
    "digicert.com",
    "aka.ms",
)
_KEPT_HOSTS = frozenset(h.lower() for h in MFA_ENDPOINTS)
# Dotted words that are not host names: file names and .NET / Windows namespaces.
_FILE_SUFFIXES = frozenset(
    "evtx etl dll exe sys log txt reg zip cab csv json html htm xml svc ps1 msi cer crt pfx pem ini cfg md pcapng "
    "pcap etw mof inf cmd bat config msc".split()
)
_NAMESPACE_HEADS = frozenset({"system", "microsoft", "windows"})
# Addresses that name no machine (unspecified, loopback, broadcast).
_WELL_KNOWN_IPS = frozenset({"0.0.0.0", "127.0.0.1", "255.255.255.255", "::", "::1"})  # noqa: S104

_W = r"[^\W_]"  # a letter or digit in any script
_DETECTORS = (
    # user@domain (UPN / mail): the local part may hold apostrophes, dots, non-ASCII letters
    r"(?P<upn>(?<![\w.'+-])[\w.'+-]{1,64}@(?:[^\W_][\w-]{0,62}\.)+[^\W\d_]{2,24})(?![\w-])",
    # DOMAIN\user, not a path segment (C:\dir\file, HKLM\SOFTWARE\...)
    r"(?P<down>(?<![\\:/\w.])(?P<dom>[^\W\d_][\w-]{0,14})\\(?P<sam>[\w.$'-]{1,64}))(?![\w.$'-]|\\)",
    r"(?P<sid>(?<![\w-])S-1-5-21(?:-\d{1,10}){3})(?P<rid>-\d{1,10})?(?![\w-])",
    r"(?P<guid>(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"
    r"(?![0-9A-Fa-f-])",
    r"(?P<mac>(?<![\w:-])[0-9A-Fa-f]{2}(?P<sep>[:-])[0-9A-Fa-f]{2}(?:(?P=sep)[0-9A-Fa-f]{2}){4})(?![\w:-])",
    r"(?P<ip6>(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3})(?![\w:])",
    r"(?P<ip4>(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?!\w|\.\d)",
    r"(?P<fqdn>(?<![\w.@-])(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_][\w-]{1,23})(?![\w-]|\.\w)",
)
# Characters no detector pattern, lookbehind or lookahead includes: a match never spans one, so a string can be cut
# into tokens at these and each token redacted on its own with the same result (only learned literals holding one of
# them, such as a NAS called "Citrix ADC", need a pass over the whole string first). Tokens repeat a lot (the same
# server, NAS, address in every event), so their results are memoised: that is what makes a busy bundle affordable.
_SEPARATORS = '\\s;,=()<>"|\\[\\]{}'
_TOKEN_RE = re.compile(f"[^{_SEPARATORS}]+")
_HAS_SEPARATOR = re.compile(f"[{_SEPARATORS}]")


def _trie_pattern(words: Iterable[str]) -> str:
    """One regular expression matching any of ``words`` without backtracking over a long alternation."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if end else body

    return build(trie)


class Redactor:
    """Learns identifiers while the bundle is read, then rewrites every outgoing string.

    Use: ``learn_*`` during the analysis, then :meth:`text` / :meth:`document` on what is written.
    """

    def __init__(self, key: bytes | None = None) -> None:
        self.pseudonyms = Pseudonyms(key)
        self._literals: dict[str, str] = {}  # lower-case literal -> kind
        self._domains: set[str] = set()  # NetBIOS domain names seen in fields (lower case)
        self._compiled: re.Pattern[str] | None = None
        self._literal_only: re.Pattern[str] | None = None
        self._learned: set[tuple[str, str]] = set()  # (kind, raw value) already seen: learning is idempotent
        self._bundles: set[str] = set()  # the names the user gave the bundle (folder, zip): see learn("bundle")
        self._bundle_re: re.Pattern[str] | None = None
        self._done: dict[str, str] = {}  # matched text -> replacement, valid until something new is learned
        self._tokens: dict[str, str] = {}  # token -> redacted token, same validity
        self._multi: re.Pattern[str] | None = None  # learned literals that span separators
        self._multi_known = False  # whether _multi is up to date (it stays None when there are none)

    # --- learning ------------------------------------------------------------------------------------------

    def learn(self, kind: str, value: str | None) -> None:
        """Remember an identifier of ``kind`` (user, domain, host, nas, station) found in a structured field, or
        the name of the bundle (``bundle``: the folder or zip as the user gave it)."""
        if not value or (kind, value) in self._learned:
            return
        self._learned.add((kind, value))
        if kind == "bundle":
            # Often a customer's or a server's name, yet any word ("logs", "NPS"): replaced only where it stands
            # as the bundle's name (the report's bundle field, see bundle_title) or, being a zip's name, as a
            # token (its members are named "<zip>!/<member>"), never as a word inside other text.
            self._bundles.add(value)
            self._bundle_re = None
            return
        value = value.strip().strip("'\"")
        if value.lower() in _EMPTY or len(value) > 256:
            return
        if kind == "user":
            if "\\" in value:
                domain, _, sam = value.partition("\\")
                self._add("domain", domain)
                self._add_domain(domain)
                value, kind = sam, "user"
            elif "@" in value:
                return  # a UPN: the detector finds it wherever it is
        elif kind == "domain":
            self._add_domain(value)
        elif kind == "host" and "." in value and not _is_ip(value):
            self._add("host", value.split(".", 1)[0])
            return  # the FQDN itself is found by the detector
        if _is_ip(value) or _MAC_RE.fullmatch(value):
            return
        self._add(kind, value)

    def _add_domain(self, name: str) -> None:
        if name.lower() not in self._domains:
            self._domains.add(name.lower())
            self._forget()

    def learn_event(self, event: Event) -> None:
        """Learn the identifiers an event's fields name (its computer and the NPS audit fields)."""
        for kind, value in event_identifiers(event):
            self.learn(kind, value)

    def learn_attrs(self, attrs: Mapping[str, Any]) -> None:
        """Learn from a finding's or incident's attributes (user, server, NAS...)."""
        for kind, value in attr_identifiers(attrs):
            self.learn(kind, value)

    def learn_all(self, identifiers: Identifiers) -> None:
        """Learn what an :class:`Identifiers` tally collected (learning does not depend on the order)."""
        for kind, value in identifiers.found:
            self.learn(kind, value)

    def _add(self, kind: str, value: str) -> None:
        value = value.strip()
        if len(value) < 3 or value.lower() in _EMPTY or value.isdigit():
            return
        lower = value.lower()
        known = self._literals.get(lower)
        if known is None:
            self._literals[lower] = kind
            self._compiled = self._literal_only = self._multi = None
            self._multi_known = False
            self._forget()
        elif _PRECEDENCE.index(kind) < _PRECEDENCE.index(known):
            # The same text learned as two kinds (a NAS named like its host): a fixed precedence, not the reading
            # order, decides which pseudonym it gets, so results do not depend on the order files are read.
            self._literals[lower] = kind
            self._forget()

    # --- rewriting -----------------------------------------------------------------------------------------

    def _pattern(self) -> re.Pattern[str]:
        if self._compiled is None:
            parts = list(_DETECTORS)
            if self._literals:
                words = sorted(self._literals, key=len, reverse=True)
                parts.append(f"(?P<lit>(?<!{_W}){_trie_pattern(words)})(?!{_W})")
            self._compiled = re.compile("|".join(parts), re.IGNORECASE)
        return self._compiled

    def text(self, value: str) -> str:
        """``value`` with every identifier replaced by its pseudonym."""
        if not value:
            return value
        if self._bundles:
            value = self._bundle_pattern().sub(self._replace_bundle, value)
        multi = self._multi_pattern()
        if multi is not None:
            value = multi.sub(self._replace_literal, value)
        return _TOKEN_RE.sub(self._token, value)

    def _token(self, m: re.Match[str]) -> str:
        token = m.group(0)
        done = self._tokens.get(token)
        if done is None:
            if len(self._tokens) > 500_000:  # a memo, not a store: bounded memory on any bundle
                self._tokens.clear()
            done = self._tokens[token] = self._pattern().sub(self._replace, token)
        return done

    def _bundle_pattern(self) -> re.Pattern[str]:
        """Zip names as tokens anywhere (``x.zip!/Security.evtx``, "identical copy of x.zip"): a name ending in
        .zip names the archive wherever it stands; a folder's name may be any word, so it is left to
        :meth:`bundle_title`."""
        if self._bundle_re is None:
            zips = sorted((n for n in self._bundles if n.lower().endswith(".zip")), key=len, reverse=True)
            names = "|".join(re.escape(name) for name in zips) or r"(?!)"
            self._bundle_re = re.compile(rf"(?<![\w.-])(?:{names})(?![\w-]|\.\w)", re.IGNORECASE)
        return self._bundle_re

    def _replace_bundle(self, m: re.Match[str]) -> str:
        return self.bundle_name(m.group(0))

    def bundle_name(self, name: str) -> str:
        """The bundle's pseudonym (``bundle-1a2b3c4d``), listed in the map like every other; also known before the
        analysis (the CLI names the default report folder after it)."""
        return self._name("bundle", name)

    def bundle_title(self, title: str) -> str:
        """A report's bundle name (``NPS-logs``, or several servers' ``a + b``) with every learned bundle
        replaced, then redacted like any text."""
        parts = title.split(" + ")
        return self.text(" + ".join(self.bundle_name(p) if p in self._bundles else p for p in parts))

    def _multi_pattern(self) -> re.Pattern[str] | None:
        if not self._multi_known:
            words = sorted((w for w in self._literals if _HAS_SEPARATOR.search(w)), key=len, reverse=True)
            if words:
                self._multi = re.compile(f"(?P<lit>(?<!{_W}){_trie_pattern(words)})(?!{_W})", re.IGNORECASE)
            self._multi_known = True
        return self._multi

    def _replace_literal(self, m: re.Match[str]) -> str:
        return self._name(self._literals.get(m.group(0).lower(), "name"), m.group(0))

    def _forget(self) -> None:
        """Drop memoised results: something was learned that may change them."""
        self._done.clear()
        self._tokens.clear()

    def document(self, doc: Any, key: str = "") -> Any:
        """A copy of a JSON-ready document with every string (and mapping key) redacted, catalog text kept."""
        if isinstance(doc, str):
            if key == BUNDLE_KEY:
                return self.bundle_title(doc)
            return doc if key in CATALOG_KEYS else self.text(doc)
        if isinstance(doc, Mapping):
            return {self.text(str(k)): self.document(v, str(k)) for k, v in doc.items()}
        if isinstance(doc, (list, tuple)):
            return [self.document(v, key) for v in doc]
        return doc

    def fresh(self) -> Redactor:
        """A redactor with the same key that has learned nothing: one per bundle where a bundle's output must not
        depend on which bundles were read before it (``fleet``), its pseudonyms still the same as this one's."""
        return Redactor(self.pseudonyms.key)

    def merge(self, other: Redactor) -> None:
        """Learn what ``other`` (same key) learned and take over its map entries: one map for a whole run.

        Where both name an original for one pseudonym (``Alice`` here, ``alice`` there) the smaller is kept, so the
        map does not depend on the order in which bundles were merged.
        """
        for kind, value in sorted(other._learned):
            self.learn(kind, value)
        originals = self.pseudonyms.originals
        for pseudonym, original in other.pseudonyms.originals.items():
            known = originals.get(pseudonym)
            originals[pseudonym] = original if known is None else min(known, original)

    def pseudonym(self, kind: str, value: str) -> str:
        """The pseudonym of ``value`` known to be of ``kind`` (a user key from ``identity.user_key``): the same as
        the one :meth:`text` gives where it finds that value, without depending on what was learned."""
        return self._name(kind, value)

    def mapping(self) -> dict[str, str]:
        """Pseudonym -> original, for ``--redact-map`` (sorted for a stable file)."""
        return dict(sorted(self.pseudonyms.originals.items()))

    # --- pseudonyms per kind -------------------------------------------------------------------------------

    def _name(self, kind: str, value: str) -> str:
        token = self.pseudonyms.token(kind, value.lower())
        return self.pseudonyms.remember(f"{kind}-{token}", value)

    def _domain(self, value: str) -> str:
        """A DNS domain: ``contoso.local`` -> ``domain-1a2b3c4d.redacted``."""
        return self.pseudonyms.remember(f"{self._name('domain', value)}.redacted", value)

    def _replace(self, m: re.Match[str]) -> str:
        whole = m.group(0)
        done = self._done.get(whole)
        if done is None:
            if len(self._done) > 500_000:  # a memo, not a store: bounded memory on any bundle
                self._forget()
            done = self._done[whole] = self._replace_new(m)
        return done

    def _replace_new(self, m: re.Match[str]) -> str:
        group = m.lastgroup
        whole = m.group(0)
        p = self.pseudonyms
        if whole in p.originals:
            return whole  # already a pseudonym: redacting twice changes nothing
        if group == "upn":
            local, _, domain = whole.rpartition("@")
            if is_kept_host(domain):
                return whole
            return p.remember(f"{self._name('user', local)}@{self._domain(domain)}", whole)
        if m.group("down") is not None:
            dom, sam = m.group("dom"), m.group("sam")
            if not (dom.isupper() or dom.lower() in self._domains):
                return self._literals_only(whole)
            return p.remember(f"{self._name('domain', dom)}\\{self._name('user', sam)}", whole)
        if m.group("sid") is not None:
            rid = m.group("rid") or ""
            return p.remember(f"S-1-5-21-{self._name('sid', m.group('sid'))}{rid}", whole)
        if group == "guid":
            if whole.lower() in _KEPT_GUIDS:
                return whole
            token = p.guid_token(whole.lower())
            return p.remember(token.upper() if whole.isupper() else token, whole)
        if m.group("mac") is not None:
            return self._name("mac", whole.replace("-", ":"))
        if group == "ip6":
            if not _is_ip(whole) or whole in _WELL_KNOWN_IPS or whole.count(":") < 2:
                return whole
            return self._name("ip6", str(ipaddress.ip_address(whole)))
        if group == "ip4":
            return whole if whole in _WELL_KNOWN_IPS else self._name("ip", whole)
        if group == "fqdn":
            return self._host(whole)
        if group == "lit":
            kind = self._literals.get(whole.lower(), "name")
            return self._name(kind, whole)
        return whole

    def _host(self, name: str) -> str:
        labels = name.split(".")
        lower = name.lower()
        if (
            is_kept_host(lower)
            or labels[-1].lower() in _FILE_SUFFIXES
            or labels[0].lower() in _NAMESPACE_HEADS
            or lower.endswith(".redacted")
        ):
            return self._literals_only(name)
        if len(labels) == 2:
            return self._domain(name)
        head, _, rest = name.partition(".")
        return self.pseudonyms.remember(f"{self._name('host', head)}.{self._domain(rest)}", name)

    def _literals_only(self, text: str) -> str:
        """Learned literals inside a piece the detectors decided to keep (a file name holding the host name)."""
        if not self._literals:
            return text
        if self._literal_only is None:
            words = sorted(self._literals, key=len, reverse=True)
            self._literal_only = re.compile(f"(?<!{_W}){_trie_pattern(words)}(?!{_W})", re.IGNORECASE)
        return self._literal_only.sub(self._replace_literal, text)


def event_identifiers(event: Event) -> Iterator[tuple[str, str]]:
    """(kind, value) of the identifiers an event's fields name: its computer and the NPS audit fields."""
    if event.computer:
        yield "host", event.computer
    for name, value in event.data:
        if name is not None and value:
            kind = FIELD_KINDS.get(name.lower())
            if kind is not None:
                yield kind, value


def attr_identifiers(attrs: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(kind, value) of the identifiers in a finding's or incident's attributes (user, server, NAS...)."""
    for name, value in attrs.items():
        kind = ATTR_KINDS.get(name)
        if kind is not None and isinstance(value, str) and value:
            yield kind, value


class Identifiers:
    """The identifiers of the event stream, collected where the events are read (a
    :class:`~nps_trace_analyzer.core.tally.Tally`: per shard in the worker processes, merged in the parent) and learned
    by the :class:`Redactor` once reading is over. A set of (kind, raw value): merging is a union, and what the
    redactor makes of it does not depend on the order it learns in."""

    sees_repeats = True  # the NPS text log's copy of an event names the same identifiers, and maybe more

    def __init__(self) -> None:
        self.found: set[tuple[str, str]] = set()

    def empty(self) -> Identifiers:
        return Identifiers()

    def observe(self, event: Event, findings: Iterable[Finding]) -> None:
        found = self.found
        found.update(event_identifiers(event))
        for finding in findings:
            if finding.attrs:
                found.update(attr_identifiers(finding.attrs))

    def merge(self, other: Identifiers) -> None:
        self.found |= other.found


_MAC_RE = re.compile(r"[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}")


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_kept_host(name: str) -> bool:
    """Whether a host name is a Microsoft endpoint or domain, which redaction keeps."""
    host = name.lower().rstrip(".")
    if host in _KEPT_HOSTS:
        return True
    return any(host == s or host.endswith("." + s) for s in _MICROSOFT_SUFFIXES)
