"""A fake com.apple.mobile.diagnostics_relay: IORegistry lookups from the fixture.

Reached through usbmuxd Connect on the port lockdownd's StartService handed out, TLS from
the first byte (EnableServiceSSL). Requests and replies are length-prefixed plists:

    {Request: IORegistry, EntryName?, EntryClass?, CurrentPlane?}
        -> {Status: Success, Diagnostics: {IORegistry: {<the entry's properties>}}}
           the entry is looked up by EntryName, else by EntryClass, among the fixture's
           ``ioregistry`` names; no such entry -> {Status: Success, Diagnostics: {}},
           which pymobiledevice3's DiagnosticsService.ioregistry returns as None
    {Request: Goodbye}  -> {Status: Success}, and the connection closes
    anything else       -> {Status: UnknownRequest}

Faults and delays (see ios_phone) apply to each IORegistry request, keyed
``ioregistry:<entry>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent.fixtures.format import garbage_for
from agent.links.base import ioregistry_read_key
from agent.simulator.ios_phone import Conn, SimPhone
from agent.simulator.ios_wire import plist_safe


async def serve_diagnostics(phone: SimPhone, conn: Conn) -> None:
    """Answer diagnostics requests until the host hangs up, says Goodbye, or the phone goes."""
    while (request := await conn.read()) is not None:
        kind = request.get("Request")
        if kind == "Goodbye":
            await conn.send({"Status": "Success"})
            return
        if kind != "IORegistry":
            await conn.send({"Status": "UnknownRequest"})
            continue
        if not await _answer_ioregistry(phone, conn, request):
            return


async def _answer_ioregistry(phone: SimPhone, conn: Conn, request: Mapping[str, Any]) -> bool:
    """Answer one IORegistry request; False when the connection is finished."""
    name = str(request.get("EntryName") or request.get("EntryClass") or "")
    read = ioregistry_read_key(name)
    outcome = await phone.serve_read(read, conn)
    if outcome is None:
        return False
    if outcome == "garbage":
        await conn.send({"Status": "Success", "Diagnostics": {"IORegistry": {"?": garbage_for(read)}}}, binary=True)
        return True
    entry = phone.ios.ioregistry.get(name)
    diagnostics = {} if entry is None else {"IORegistry": plist_safe(entry)}
    await conn.send({"Status": "Success", "Diagnostics": diagnostics})
    return True
