"""A fake lockdownd: the subset of the protocol pymobiledevice3 needs to pair, open a
TLS session, read values and start the diagnostics relay.

Every request is a plist dictionary ``{Label, Request, ...}``; every reply echoes
``Request`` and carries either the result or ``Error``:

    QueryType       -> Type: com.apple.mobile.lockdown
    GetValue        Domain?, Key? -> Value (Key absent: the whole domain). Without a session
                    only the default domain answers (GetProhibited otherwise), with what
                    pairing needs (DevicePublicKey, UniqueDeviceID, WiFiAddress,
                    ProductVersion) filled in where the fixture has none; inside a session,
                    exactly the fixture. A missing key -> Error MissingValue; a missing
                    domain -> no Value.
    Pair            PairRecord{HostID, HostCertificate, DeviceCertificate, ...} -> EscrowBag,
                    or Error PairingDialogResponsePending (trust pending) / UserDeniedPairing
    ValidatePair    PairRecord{HostID} -> Success, or Error InvalidHostID (iOS < 7 hosts)
    StartSession    HostID, SystemBUID -> SessionID, EnableSessionSSL: true; then TLS, the
                    phone as server with the DeviceCertificate, the host pinned to the
                    HostCertificate it paired with. Unknown HostID -> Error InvalidHostID
    StopSession     SessionID -> Result Success (the TLS layer stays, as pymobiledevice3 expects)
    StartService    Service, EscrowBag? -> Port, EnableServiceSSL: true (session required; only
                    com.apple.mobile.diagnostics_relay, com.apple.mobile.MCInstall and
                    com.apple.mobilebackup2 exist) or Error InvalidService
    Goodbye         -> Result Success, and the connection closes

Faults and delays (see ios_phone) apply to GetValue inside a session, keyed
``lockdown:<domain>``. The reads pymobiledevice3 makes while connecting (before
StartSession) are the phone's public answers and never fault; the one it makes right after
StartSession (the whole default domain) does, so a ``*`` or ``lockdown:`` fault shows while
connecting, as it would on a phone.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from agent.fixtures.format import garbage_for
from agent.links.base import MCINSTALL, lockdown_read_key
from agent.simulator.ios_certs import device_public_key_pem, server_context
from agent.simulator.ios_phone import Conn, Pairing, SimPhone
from agent.simulator.ios_wire import plist_safe

LOCKDOWN_PORT = 62078
LOCKDOWN_TYPE = "com.apple.mobile.lockdown"
DIAGNOSTICS_RELAY = "com.apple.mobile.diagnostics_relay"
MOBILEBACKUP2 = "com.apple.mobilebackup2"
SERVICES = frozenset({DIAGNOSTICS_RELAY, MCINSTALL, MOBILEBACKUP2})
ESCROW_BAG = b"phonebench-simulated-escrow-bag"
#: a modern iOS for a fixture without ProductVersion (pymobiledevice3 would assume 1.0 and ask for SSLv3)
FALLBACK_PRODUCT_VERSION = "17.0"


class Lockdownd:
    """Serves one lockdownd connection until the host hangs up or the phone goes."""

    def __init__(self, phone: SimPhone, conn: Conn) -> None:
        self.phone = phone
        self.conn = conn
        self.session: Pairing | None = None
        self._open = True

    async def serve(self) -> None:
        while self._open and (request := await self.conn.read()) is not None:
            name = str(request.get("Request", ""))
            handler = getattr(self, f"_on_{name}", None) if name.isalpha() else None
            if handler is None:
                await self._reply(request, Error="InvalidRequest")
            else:
                await handler(request)

    async def _reply(self, request: Mapping[str, Any], *, binary: bool = False, **fields: Any) -> None:
        await self.conn.send({"Request": request.get("Request", ""), **fields}, binary=binary)

    async def _on_QueryType(self, request: Mapping[str, Any]) -> None:
        await self._reply(request, Type=LOCKDOWN_TYPE)

    async def _on_GetValue(self, request: Mapping[str, Any]) -> None:
        domain, key = str(request.get("Domain") or ""), request.get("Key")
        where: dict[str, Any] = {"Domain": domain} if domain else {}
        where |= {"Key": key} if key else {}
        if self.session is None and domain:
            await self._reply(request, Error="GetProhibited", **where)
            return
        read = lockdown_read_key(domain)
        outcome = await self.phone.before_read(read) if self.session else "answer"
        if outcome == "hang":
            await self.conn.hang()
        elif outcome == "gone":
            self._open = False
        elif outcome == "garbage":
            value: Any = garbage_for(f"{read}/{key}") if key else {"?": garbage_for(read)}
            await self._reply(request, binary=True, Value=value, **where)
        else:
            await self._reply(request, **where, **self._value(domain, key))

    def _value(self, domain: str, key: Any) -> dict[str, Any]:
        values = self.phone.ios.lockdown.get(domain)
        if self.session is None and domain == "":
            values = {**_identity(self.phone.udid), **(values or {})}
        if values is None:
            return {} if key is None else {"Error": "MissingValue"}
        if key is None:
            return {"Value": plist_safe(values)}
        value = values.get(str(key))
        return {"Error": "MissingValue"} if value is None else {"Value": plist_safe(value)}

    async def _on_Pair(self, request: Mapping[str, Any]) -> None:
        record = request.get("PairRecord")
        fields = ("HostID", "HostCertificate", "DeviceCertificate")
        if not isinstance(record, Mapping) or not all(record.get(f) for f in fields):
            await self._reply(request, Error="InvalidPairRecord")
        elif self.phone.trust == "trust_pending":
            await self._reply(request, Error="PairingDialogResponsePending")
        elif self.phone.trust == "denied":
            await self._reply(request, Error="UserDeniedPairing")
        else:
            pairing = Pairing(
                str(record["HostID"]), bytes(record["HostCertificate"]), bytes(record["DeviceCertificate"])
            )
            self.phone.pairings[pairing.host_id] = pairing
            await self._reply(request, EscrowBag=ESCROW_BAG)

    async def _on_ValidatePair(self, request: Mapping[str, Any]) -> None:
        record = request.get("PairRecord")
        host_id = record.get("HostID") if isinstance(record, Mapping) else None
        if host_id in self.phone.pairings:
            await self._reply(request, Result="Success")
        else:
            await self._reply(request, Error="InvalidHostID")

    async def _on_StartSession(self, request: Mapping[str, Any]) -> None:
        pairing = self.phone.pairings.get(str(request.get("HostID", "")))
        if self.session is not None:
            await self._reply(request, Error="SessionActive")
            return
        if pairing is None:
            await self._reply(request, Error="InvalidHostID")
            return
        context = server_context(pairing.device_certificate, pairing.host_certificate)
        await self._reply(request, SessionID=str(uuid.uuid4()).upper(), EnableSessionSSL=True)
        self._open = await self.conn.start_tls(context, pairing)
        self.session = pairing if self._open else None

    async def _on_StopSession(self, request: Mapping[str, Any]) -> None:
        if self.session is None:
            await self._reply(request, Error="NoRunningSession")
            return
        self.session = None
        await self._reply(request, Result="Success")

    async def _on_StartService(self, request: Mapping[str, Any]) -> None:
        name = str(request.get("Service", ""))
        if self.session is None:
            await self._reply(request, Error="InvalidConnection", Service=name)
        elif name not in SERVICES:
            await self._reply(request, Error="InvalidService", Service=name)
        else:
            port = self.phone.open_service(name, self.session)
            await self._reply(request, Service=name, Port=port, EnableServiceSSL=True)

    async def _on_Goodbye(self, request: Mapping[str, Any]) -> None:
        await self._reply(request, Result="Success")
        self._open = False


def _identity(udid: str) -> dict[str, Any]:
    """What every lockdownd has before a session even when a fixture leaves it out:
    pymobiledevice3 pairs with DevicePublicKey, puts WiFiAddress in the pair record, and
    picks the session's TLS versions (and ValidatePair) from ProductVersion."""
    digest = hashlib.sha256(udid.encode()).digest()
    mac = ":".join(f"{b:02x}" for b in (0x02, *digest[:5]))  # locally administered
    return {
        "DevicePublicKey": device_public_key_pem(),
        "UniqueDeviceID": udid,
        "WiFiAddress": mac,
        "ProductVersion": FALLBACK_PRODUCT_VERSION,
    }
