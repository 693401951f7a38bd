"""A fake com.apple.mobile.MCInstall: the mobile-config service's read requests, from the fixture.

Reached as the diagnostics relay is (usbmuxd Connect on the port lockdownd's StartService
handed out, TLS from the first byte), and spoken as pymobiledevice3's MobileConfigService
speaks it: one length-prefixed plist request, one reply, on the same connection.

    {RequestType: GetCloudConfiguration} -> the fixture's reply, e.g. {Status: Acknowledged,
                                           CloudConfiguration: {...}}
    {RequestType: GetProfileList}        -> the fixture's reply, e.g. {Status: Acknowledged,
                                           OrderedIdentifiers, ProfileManifest, ProfileMetadata}
    {RequestType: HelloHostIdentifier | Flush}
                                        -> {Status: Acknowledged}
    {RequestType: EraseDevice, PreserveDataPlan, DisallowProximitySetup}
                                        -> Acknowledged, then the phone erases: it detaches
                                           (``SimPhone.erase``) and usbmuxd plugs it back,
                                           factory fresh, after its erase delay; a fixture
                                           with its own ``EraseDevice`` reply (an older iOS's
                                           ``{Status: CommandFormatError}``) gets that, no erase
    a request the fixture has no reply to, or one that would change the phone otherwise
    (SetCloudConfiguration, InstallProfile, ...)
                                        -> {Status: Error, ErrorChain: [{ErrorCode, ErrorDomain,
                                           LocalizedDescription}]}, which MobileConfigService
                                           raises as ProfileError

Faults and delays (see ios_phone) apply to each request, keyed
``service:com.apple.mobile.MCInstall/<RequestType>``; a ``garbage`` answer has the shape the
replay link gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent.fixtures.format import garbage_for
from agent.links.base import MCINSTALL, service_read_key
from agent.simulator.ios_phone import Conn, SimPhone
from agent.simulator.ios_wire import plist_safe

#: the error a refused request carries (the simulator's own; no phone is imitated here)
REFUSED_CODE = 4001
READS = ("GetCloudConfiguration", "GetProfileList")


async def serve_mcinstall(phone: SimPhone, conn: Conn) -> None:
    """Answer mobile-config requests until the host hangs up or the phone goes."""
    while (request := await conn.read()) is not None:
        kind = str(request.get("RequestType", ""))
        if kind in ("HelloHostIdentifier", "Flush"):
            await conn.send({"Status": "Acknowledged"})
            continue
        if kind == "EraseDevice":
            refusal = phone.ios.services.get(MCINSTALL, {}).get("EraseDevice")
            if refusal is not None:  # an older iOS: e.g. {Status: CommandFormatError}, and no erase
                await conn.send(plist_safe(refusal))
                continue
            await conn.send({"Status": "Acknowledged"})
            phone.erase({name: bool(request.get(name)) for name in ("PreserveDataPlan", "DisallowProximitySetup")})
            return
        if kind not in READS:
            await conn.send(_refused(f"the simulator answers only {', '.join(READS)}, not {kind!r}"))
            continue
        if not await _answer(phone, conn, kind):
            return


async def _answer(phone: SimPhone, conn: Conn, kind: str) -> bool:
    """Answer one read request; False when the connection is finished."""
    read = service_read_key(MCINSTALL, kind)
    outcome = await phone.serve_read(read, conn)
    if outcome is None:
        return False
    if outcome == "garbage":
        key = "CloudConfiguration" if kind == "GetCloudConfiguration" else "?"
        await conn.send({"Status": "Acknowledged", key: garbage_for(read)}, binary=True)
        return True
    reply = phone.ios.services.get(MCINSTALL, {}).get(kind)
    await conn.send(_refused(f"fixture lacks `{read}`") if reply is None else plist_safe(reply))
    return True


def _refused(why: str) -> Mapping[str, Any]:
    error = {"ErrorCode": REFUSED_CODE, "ErrorDomain": "PhonebenchSimulator", "LocalizedDescription": why}
    return {"Status": "Error", "ErrorChain": [error]}
