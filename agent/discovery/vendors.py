"""USB vendor ids of phone makers, and what an unreachable phone of each most likely means."""

from __future__ import annotations

VENDORS: dict[int, str] = {
    0x05AC: "Apple",
    0x18D1: "Google",
    0x04E8: "Samsung",
    0x2717: "Xiaomi",
    0x2A70: "OnePlus",
    0x22D9: "Oppo/Realme",
    0x22B8: "Motorola",
    0x17EF: "Lenovo",
    0x12D1: "Huawei",
    0x339B: "Honor",
    0x1004: "LG",
    0x0FCE: "Sony",
    0x2D95: "Vivo",
    0x19D2: "ZTE",
    0x2E04: "HMD/Nokia",
    0x0421: "Nokia",
    0x0BB4: "HTC",
    0x1BBB: "TCL/Alcatel",
    0x0E8D: "MediaTek",
    0x1EBF: "Coolpad",
    0x2916: "Yota",
    0x29A9: "Smartisan",
    0x05C6: "Qualcomm",
    0x1782: "Spreadtrum/Unisoc",
    0x2A45: "Meizu",
    0x0489: "Foxconn (Sharp, Nokia)",
    0x04DD: "Sharp",
    0x0B05: "Asus",
    0x413C: "Dell",
    0x1949: "Amazon",
    0x2B4C: "Nothing",
    0x3767: "Fairphone",
}

#: Apple product ids below this range are not phones (keyboards, adapters); iPhones use 0x12xx
APPLE_MOBILE_RANGE = range(0x1290, 0x12B0)


def maker(vendor_id: int, product_id: int) -> str | None:
    """The phone maker for a USB device, or None when it is not a phone we know."""
    name = VENDORS.get(vendor_id)
    if vendor_id == 0x05AC and product_id not in APPLE_MOBILE_RANGE:
        return None
    return name


def likely_reason(vendor_id: int) -> str:
    """Why a phone on USB is invisible to adb and usbmux, most likely."""
    if vendor_id == 0x05AC:
        return "iPhone on USB but not seen by usbmuxd: is usbmuxd running? Unlock the phone and tap Trust"
    return "Phone on USB but not seen by adb: turn on USB debugging, use a data cable, or leave charge-only/MTP mode"
