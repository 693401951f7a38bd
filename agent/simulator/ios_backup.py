"""A fake com.apple.mobilebackup2: the DeviceLink session pymobiledevice3's
``Mobilebackup2Service.erase_device`` opens, and the phone's ``EraseDevice``.

Reached as MCInstall is (usbmuxd Connect on the port StartService handed out, TLS from the
first byte). Every message is a plist array in the service framing (ios_wire), phone first:

    phone: [DLMessageVersionExchange, 300, 0]
    host:  [DLMessageVersionExchange, DLVersionsOk, 300]    anything else: the phone hangs up
    phone: [DLMessageDeviceReady]
    host:  [DLMessageProcessMessage, {MessageName: Hello, SupportedProtocolVersions: [2.0, 2.1]}]
    phone: [DLMessageProcessMessage, {ErrorCode: 0, ProtocolVersion: 2.1}]   (no 2.1: ErrorCode 1)
    host:  [DLMessageProcessMessage, {MessageName: EraseDevice, TargetIdentifier: <udid>}]
    phone: leaves the bus without a reply, as pymobiledevice3 expects ("the device drops the
           link once it starts erasing"), and comes back factory fresh (``SimPhone.erase``);
           or, when the fixture has ``services: {com.apple.mobilebackup2: {EraseDevice: {...}}}``,
           that dictionary as its process-message reply (an ErrorCode: a refusal)
    host:  [DLMessageDisconnect, ...]                       the session ends

Any other process message (Backup, Restore, ...) is answered ErrorCode 1: this phone only
erases. Faults and delays apply to EraseDevice, keyed ``service:com.apple.mobilebackup2/EraseDevice``.
"""

from __future__ import annotations

from typing import Any

from agent.links.base import service_read_key
from agent.simulator.ios_phone import Conn, SimPhone
from agent.simulator.ios_wire import device_link_message, plist_safe, read_device_link_message
from agent.simulator.lockdownd import MOBILEBACKUP2

DEVICE_LINK_VERSION = 300
PROTOCOL_VERSION = 2.1
#: the error code of a request the simulated phone does not serve (its own; no phone is imitated)
UNSERVED = 1


async def serve_mobilebackup2(phone: SimPhone, conn: Conn) -> None:
    """One DeviceLink session, until the host disconnects, the phone erases or goes."""
    await _send(conn, ["DLMessageVersionExchange", DEVICE_LINK_VERSION, 0])
    answer = await read_device_link_message(conn.reader)
    if answer != ["DLMessageVersionExchange", "DLVersionsOk", DEVICE_LINK_VERSION]:
        return
    await _send(conn, ["DLMessageDeviceReady"])
    hello = False
    while (message := await read_device_link_message(conn.reader)) is not None:
        if message[0] == "DLMessageDisconnect":
            return
        request = message[1] if message[0] == "DLMessageProcessMessage" and len(message) > 1 else None
        name = request.get("MessageName") if isinstance(request, dict) else None
        if name == "Hello":
            hello = PROTOCOL_VERSION in (request or {}).get("SupportedProtocolVersions", [])
            await _process(conn, {"ErrorCode": 0, "ProtocolVersion": PROTOCOL_VERSION} if hello
                           else _error("no common protocol version (the simulator speaks 2.1)"))
        elif name == "EraseDevice" and hello:
            if not await _erase(phone, conn):
                return
        else:
            await _process(conn, _error(f"the simulator answers only Hello and EraseDevice, not {str(name)[:64]!r}"))


async def _erase(phone: SimPhone, conn: Conn) -> bool:
    """Erase, or answer the fixture's refusal; False when the session is over."""
    outcome = await phone.serve_read(service_read_key(MOBILEBACKUP2, "EraseDevice"), conn)
    if outcome is None:
        return False
    reply = phone.ios.services.get(MOBILEBACKUP2, {}).get("EraseDevice")
    if outcome == "garbage" or reply is not None:
        await _process(conn, _error("garbage") if reply is None else plist_safe(reply))
        return True
    phone.erase({})
    return False


def _error(why: str) -> dict[str, Any]:
    return {"ErrorCode": UNSERVED, "ErrorDescription": why}


async def _process(conn: Conn, content: Any) -> None:
    await _send(conn, ["DLMessageProcessMessage", content])


async def _send(conn: Conn, body: list[Any]) -> None:
    conn.writer.write(device_link_message(body))
    await conn.writer.drain()
