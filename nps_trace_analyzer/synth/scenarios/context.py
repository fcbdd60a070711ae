"""The state one bundle is built in: clock, random sources, bookings, the five logs, the wire, expected incidents.

Scenario episodes never pick times or ids themselves; they ask the context, which keeps everything
reproducible from one seed and keeps episodes apart where the analyzer's correlation windows would
otherwise make the expected diagnosis ambiguous (the same user twice within minutes, two TLS failures
within the Schannel join window).

Two random sources: ``rng`` drives the event logs, ``net_rng`` only what the event logs do not show (how
long before the first event a RADIUS request arrived, when an HTTPS call went out). Keeping them apart means
the network detail can change without moving a single event.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from nps_trace_analyzer.synth.scenarios import events
from nps_trace_analyzer.synth.scenarios.contract import classify
from nps_trace_analyzer.synth.scenarios.settings import ServerSettings
from nps_trace_analyzer.synth.scenarios.wire import Attempt
from nps_trace_analyzer.synth.scenarios.world import (
    HEALTHY_NAS_WEIGHTS,
    NAS_CLIENTS,
    POOL,
    MfaLayout,
    Nas,
    User,
)
from nps_trace_analyzer.synth.spec import EventSpec

LOGS: tuple[str, ...] = ("AuthNOptCh", "AuthZOptCh", "AuthZAdminCh", "Security", "System")
DAY_START = time(7, 0)
DAY_END = time(18, 0)
USER_GAP = timedelta(minutes=6)  # > the 3-minute challenge window and the ±2-minute 6273 join window

LSASS_PID = 748
IAS_PID = 2936


class BookingError(RuntimeError):
    """The day is too full to place an episode without breaking the spacing rules."""


@dataclass
class BuildContext:
    """Everything one bundle build shares. Create with :meth:`create`."""

    rng: random.Random
    computer: str
    day: date
    layout: MfaLayout
    settings: ServerSettings = field(default_factory=ServerSettings)
    net_rng: random.Random = field(default_factory=random.Random)
    capture: bool = True  # the bundle gets a nettrace.etl: expect the capture's codes
    registry: bool = True  # the bundle gets registry dumps: expect the configuration checks' incidents
    logs: dict[str, list[EventSpec]] = field(default_factory=lambda: {log: [] for log in LOGS})
    attempts: list[Attempt] = field(default_factory=list)
    incidents: list[dict[str, object]] = field(default_factory=list)
    reserved_users: set[str] = field(default_factory=set)
    outages: list[tuple[datetime, datetime]] = field(default_factory=list)
    _bookings: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    _server_seen: set[tuple[str, str, str]] = field(default_factory=set)
    _activity_id: str = ""

    @classmethod
    def create(
        cls,
        *,
        seed: int,
        computer: str,
        day: date,
        layout: MfaLayout,
        settings: ServerSettings | None = None,
        capture: bool = True,
        registry: bool = True,
    ) -> BuildContext:
        ctx = cls(
            rng=random.Random(seed),
            computer=computer,
            day=day,
            layout=layout,
            settings=settings or ServerSettings(),
            net_rng=random.Random(f"{seed}:wire"),
            capture=capture,
            registry=registry,
        )
        ctx._activity_id = "{" + ctx.guid().upper() + "}"
        return ctx

    # --- ids and clock -------------------------------------------------------------------------------

    def guid(self) -> str:
        """A random (seeded) version-4 GUID, lower case as the extension prints CIDs."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def at(self, hhmm: str) -> datetime:
        hour, minute = (int(part) for part in hhmm.split(":"))
        return datetime.combine(self.day, time(hour, minute), tzinfo=timezone.utc)

    def window(self, bounds: tuple[str, str] | None) -> tuple[datetime, datetime]:
        if bounds is None:
            return (
                datetime.combine(self.day, DAY_START, tzinfo=timezone.utc),
                datetime.combine(self.day, DAY_END, tzinfo=timezone.utc),
            )
        return self.at(bounds[0]), self.at(bounds[1])

    def book(
        self,
        keys: tuple[str, ...],
        span: timedelta,
        *,
        gap: timedelta = USER_GAP,
        bounds: tuple[str, str] | None = None,
        avoid_outages: bool = False,
    ) -> datetime:
        """Reserve ``span`` of time for every key in ``keys`` and return its start.

        No two bookings of the same key come closer than ``gap``. Raises :class:`BookingError` when no slot
        is found, rather than silently placing overlapping episodes.
        """
        lo, hi = self.window(bounds)
        room = (hi - lo - span).total_seconds()
        if room <= 0:
            raise BookingError(f"window {bounds} is shorter than {span}")
        for _ in range(400):
            start = lo + timedelta(seconds=self.rng.uniform(0, room))
            start = start.replace(microsecond=self.rng.randrange(1_000_000))
            end = start + span
            if avoid_outages and any(start < o_end and end > o_start for o_start, o_end in self.outages):
                continue
            if all(self._free(key, start - gap, end + gap) for key in keys):
                for key in keys:
                    self._bookings.setdefault(key, []).append((start, end))
                return start
        raise BookingError(f"no free slot for {keys} in {bounds or 'the day'}")

    def _free(self, key: str, start: datetime, end: datetime) -> bool:
        return all(end <= b_start or start >= b_end for b_start, b_end in self._bookings.get(key, ()))

    def ticks(self) -> int:
        return self.rng.randrange(10)

    def thread(self, pool: tuple[int, ...]) -> int:
        return self.rng.choice(pool)

    # --- people and clients ----------------------------------------------------------------------------

    def healthy_pool(self) -> list[User]:
        """Everyday users free for healthy traffic. Without NPS auditing only push users: an answered OTP
        challenge leaves no trace without 6272, so the analyzer would rightly call it unanswered."""
        users = [user for user in POOL if user.name not in self.reserved_users]
        if not self.settings.auditing:
            users = [user for user in users if user.method == "push"]
        return users

    def pick_user(self, users: list[User] | None = None) -> User:
        return self.rng.choice(users if users is not None else self.healthy_pool())

    def pick_healthy_nas(self, user: User) -> Nas:
        keys = [key for key in HEALTHY_NAS_WEIGHTS if user.method == "push" or NAS_CLIENTS[key].pap]
        weights = [HEALTHY_NAS_WEIGHTS[key] for key in keys]
        return NAS_CLIENTS[self.rng.choices(keys, weights)[0]]

    def net_secs(self, lo: float, hi: float) -> timedelta:
        """A network-only delay (``net_rng``), microsecond precision."""
        return timedelta(microseconds=round(self.net_rng.uniform(lo, hi) * 1_000_000))

    def state_bytes(self, state: str) -> bytes:
        """RADIUS State as NPS sends it for an MFA challenge: the state GUID the extension logs, as ASCII."""
        return state.encode("ascii")

    def calling_station(self, nas: Nas) -> str:
        if nas.port_type.startswith("Wireless"):
            return "-".join(f"{self.rng.randrange(256):02X}" for _ in range(6))
        return f"198.51.100.{self.rng.randrange(2, 250)}"

    # --- emitting events ---------------------------------------------------------------------------------

    def mfa(self, log: str, event_id: int, level: int, when: datetime, message: str) -> None:
        self.logs[log].append(
            events.azuremfa(
                self.layout,
                log,
                event_id=event_id,
                level=level,
                time=when,
                ticks=self.ticks(),
                computer=self.computer,
                message=message,
                thread_id=self.thread((3412, 3480, 4176, 5032, 6120)),
                process_id=IAS_PID,
            )
        )

    def security(
        self,
        event_id: int,
        when: datetime,
        user: User,
        nas: Nas,
        *,
        reason: int | None = None,
        user_known: bool = True,
        policy: str | None = None,
    ) -> None:
        """A Security 6272/6273/6274 event; nothing when NPS auditing is off (the server writes none)."""
        if not self.settings.auditing:
            return
        nas_port = "0" if nas.port_type.startswith("Wireless") else str(self.rng.randrange(1, 2048))
        self.logs["Security"].append(
            events.security_nps(
                event_id,
                time=when,
                ticks=self.ticks(),
                computer=self.computer,
                user=user,
                nas=nas,
                calling_station=self.calling_station(nas),
                nas_port=nas_port,
                thread_id=self.thread((1996, 2240, 4388, 5544)),
                process_id=LSASS_PID,
                activity_id=self._activity_id,
                reason=reason,
                user_known=user_known,
                policy=policy,
            )
        )

    def system(self, event_id: int, level: int, when: datetime, data: tuple[str, ...]) -> None:
        self.logs["System"].append(
            events.system_nps(event_id, level=level, time=when, ticks=self.ticks(), computer=self.computer, data=data)
        )

    def schannel(self, when: datetime) -> None:
        self.logs["System"].append(
            events.schannel_36871(
                time=when,
                ticks=self.ticks(),
                computer=self.computer,
                thread_id=self.thread((812, 1020, 2232)),
                process_id=LSASS_PID,
            )
        )

    # --- expected diagnosis ------------------------------------------------------------------------------

    def _entry(self, kind: str, primary: str, codes: tuple[str, ...], registry_key: str | None) -> dict[str, object]:
        category, benign = classify(primary, registry_key=registry_key)
        entry: dict[str, object] = {"kind": kind}
        entry["primary_code"] = primary
        entry["category"] = category
        entry["benign"] = benign
        extra = sorted(set(codes) - {primary})
        if extra:
            entry["codes"] = extra
        return entry

    def audit_codes(self, *codes: str) -> tuple[str, ...]:
        """``codes`` when the bundle has NPS audit events to find them in, else ()."""
        return codes if self.settings.auditing else ()

    def capture_codes(self, *codes: str) -> tuple[str, ...]:
        """``codes`` when the bundle has a capture to find them in, else ()."""
        return codes if self.capture else ()

    def expect_sign_in(self, cid: str, primary: str, codes: tuple[str, ...] = ()) -> None:
        entry = self._entry("sign-in", primary, codes, None)
        self.incidents.append({"kind": "sign-in", "cid": cid, **entry})

    def expect_challenge_no_result(self, cid: str | None, user: User, codes: tuple[str, ...] = ()) -> None:
        """One per unanswered challenge; ``cid`` None for the older extension's challenge text without CID."""
        entry = self._entry("challenge-no-result", "CHALLENGE_NO_RESULT", codes, None)
        ids = {"cid": cid} if cid is not None else {}
        self.incidents.append({"kind": "challenge-no-result", **ids, "user": user.name, **entry})

    def expect_nps_reject(self, user: User, primary: str, codes: tuple[str, ...] = ()) -> None:
        """Primary ``NPS-REASON-<n>`` (a 6273), or SECONDARY_AUTH_ACCESS_REJECT when no 6273 exists (rule 5)."""
        entry = self._entry("nps-reject", primary, codes, None)
        self.incidents.append({"kind": "nps-reject", "user": user.name, **entry})

    def expect_server(
        self,
        primary: str,
        codes: tuple[str, ...] = (),
        *,
        registry_key: str | None = None,
        nas: str | None = None,
        distinct: str = "",
    ) -> None:
        """A server-level incident; repeated occurrences of the same fault are one incident.

        ``nas`` (the RADIUS client's address) for capture findings, which the contract makes one incident per
        client: two clients with the same fault are two incidents. ``distinct`` names faults the contract keeps
        apart although they share a code (unrecognised events with different wording).
        """
        entry = self._entry("server", primary, codes, registry_key)
        key = (self.computer, primary, str(entry["category"]), f"{nas or ''}{distinct}")
        if key in self._server_seen:
            return
        self._server_seen.add(key)
        extra = {"nas": nas} if nas else {}
        self.incidents.append({"kind": "server", "server": self.computer, **extra, **entry})

    def expect_server_config(self, primary: str) -> None:
        """A server-configuration incident (registry check or NPS auditing), one per code."""
        key = (self.computer, primary, "server-config", "")
        if key in self._server_seen:
            return
        self._server_seen.add(key)
        entry = self._entry("server-config", primary, (), None)
        self.incidents.append({"kind": "server-config", "server": self.computer, **entry})
