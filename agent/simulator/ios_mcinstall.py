"""A fake com.apple.mobile.MCInstall: the configuration-profile service, and its erase.

Reached like the diagnostics relay (usbmuxd Connect on the port StartService handed out,
TLS from the first byte). Requests and replies are length-prefixed plists, every reply
``Status: Acknowledged`` unless said otherwise, as pymobiledevice3's MobileConfigService
expects:

    {RequestType: HelloHostIdentifier | Flush}  -> Acknowledged
    {RequestType: GetProfileList}               -> Acknowledged, ProfileMetadata: {}, OrderedIdentifiers: []
                                                   (simulated phones carry no profiles)
    {RequestType: EraseDevice, PreserveDataPlan, DisallowProximitySetup}
                                                -> Acknowledged, then the phone erases: it detaches
                                                   (``SimPhone.erase``) and usbmuxd plugs it back,
                                                   unactivated, after its erase delay
    anything else                               -> {Status: Error, ErrorChain: [{ErrorCode: 1, ...}]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent.simulator.ios_phone import Conn, SimPhone

MCINSTALL = "com.apple.mobile.MCInstall"
_ACK = {"Status": "Acknowledged"}


async def serve_mcinstall(phone: SimPhone, conn: Conn) -> None:
    """Answer MCInstall requests until the host hangs up or the phone erases itself."""
    while (request := await conn.read()) is not None:
        kind = request.get("RequestType")
        if kind in ("HelloHostIdentifier", "Flush"):
            await conn.send(_ACK)
        elif kind == "GetProfileList":
            await conn.send({**_ACK, "ProfileMetadata": {}, "OrderedIdentifiers": []})
        elif kind == "EraseDevice":
            await conn.send(_ACK)
            phone.erase(_options(request))
            return
        else:
            await conn.send({"Status": "Error", "ErrorChain": [{"ErrorCode": 1, "LocalizedDescription": "unknown request"}]})


def _options(request: Mapping[str, Any]) -> dict[str, bool]:
    return {name: bool(request.get(name)) for name in ("PreserveDataPlan", "DisallowProximitySetup")}
