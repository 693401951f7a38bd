"""Identity: what the phone is (make, model, OS, build) and which one it is (serial, IMEI).

The engine copies these metrics into the report's ``device`` block, and the model
catalog is looked up with ``model``, ``model_code`` and ``marketing_name``, so each of
them is the phone's own word or None with a reason, never a guess: the OS version comes
from ``ro.build.version.release`` and not the fingerprint (ROMs leave fingerprints of
other versions behind), and a marketing name the phone does not state is left for the
catalog to fill. Values stay the phone's literal text; nothing here interprets them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from agent.check import Check, CheckContext, CheckResult, Metric, MetricSpec, declare, known, unknown
from agent.formats.getprop import parse_getprop
from agent.formats.imei import IMEI_PROP, imei_problem
from agent.formats.parcel import parse_string_reply
from agent.links.base import AndroidLink, IosLink, ShellResult, lockdown_read_key
from checks.commands import GETPROP, IMEI, LOCKDOWN_DEFAULT, lockdown_source
from checks.ios_models import apple_marketing_name, device_family
from checks.shell import said, shell_problem

#: properties vendors put the selling name in, most specific first
MARKETING_PROPS = (
    "ro.product.marketname", "ro.product.vendor.marketname", "ro.product.odm.marketname",
    "ro.config.marketing_name", "ro.vendor.oplus.market.enname", "ro.vendor.oplus.market.name",
    "ro.oppo.market.name", "ro.display.series", "ro.vivo.internet.name", "ro.vivo.market.name",
    "ro.vendor.product.ztename", "ro.vendor.asus.product.mkt_name", "ro.product.en.display",
)  # fmt: skip
#: props whose presence means getprop answered at all
_CORE_PROPS = ("ro.product.model", "ro.product.manufacturer", "ro.product.device", "ro.build.id",
               "ro.build.version.release", "ro.build.fingerprint")  # fmt: skip
_EMULATOR_HARDWARE = frozenset({"goldfish", "ranchu", "vbox86", "cutf_cvm"})
_IOS_READ = lockdown_read_key(LOCKDOWN_DEFAULT)
_IOS_CORE = ("ProductType", "ProductVersion", "BuildVersion", "SerialNumber", "UniqueDeviceID")
_IOS_IMEI_KEYS = ("InternationalMobileEquipmentIdentity", "InternationalMobileEquipmentIdentity2")
#: why lockdown has no IMEI key, by ProductType family (an iPhone always has a modem)
_NO_IMEI_KEY = {
    "iPad": "no IMEI key (a Wi-Fi-only model?)",
    "iPod": "no IMEI key (an iPod touch has no cellular modem)",
}

#: IMEIs that passed, as (imei, source), and notes on the candidates that did not
Candidates = tuple[list[tuple[str, str]], list[str]]


class IdentityCheck(Check):
    """Reads `getprop` and the IMEI reply on Android, lockdown's default domain on iOS."""

    name = "identity"
    title = "Identity"
    reads = MappingProxyType({"android": (GETPROP, IMEI), "ios": (_IOS_READ,)})
    metrics: ClassVar[Mapping[str, MetricSpec]] = {
        **declare(
            ("platform", None, "android or ios"),
            ("manufacturer", None, "the maker (ro.product.manufacturer; Apple)"),
            ("brand", None, "the brand sold under (ro.product.brand)"),
            ("model", None, "the model as the phone names it (ro.product.model; lockdown ProductType's name)"),
            ("model_code", None, "the model code (ro.product.device; lockdown ProductType, e.g. iPhone14,5)"),
            ("marketing_name", None, "the selling name, from the phone's props or the model tables"),
            ("serial", None, "the serial number (ro.serialno; lockdown SerialNumber)"),
            ("imei", None, "the first IMEI, Luhn-checked"),
            ("os_version", None, "Android or iOS version (ro.build.version.release; ProductVersion)"),
            ("build", None, "the OS build id (ro.build.id; BuildVersion)"),
            ("emulator", None, "true when the device reports itself as an emulator"),
            device=True,
        ),
        **declare(
            ("build_display", None, "the build's display id (ro.build.display.id)"),
            ("fingerprint", None, "the build fingerprint (ro.build.fingerprint)"),
            ("hardware", None, "the board or SoC name (ro.hardware)"),
            ("hardware_model", None, "the board id (lockdown HardwareModel, e.g. D17AP)"),
            ("sdk_int", None, "the Android API level (ro.build.version.sdk)"),
            ("security_patch", None, "the security patch date (ro.build.version.security_patch)"),
            ("udid", None, "the iPhone's UDID (lockdown UniqueDeviceID)"),
        ),
    }

    async def run(self, ctx: CheckContext) -> CheckResult | Mapping[str, Metric]:
        if isinstance(ctx.link, IosLink):
            return await _run_ios(ctx.link, ctx.timeout_s)
        if isinstance(ctx.link, AndroidLink):
            return await _run_android(ctx.link, ctx.timeout_s)
        return CheckResult("unsupported", detail=f"no identity reader for a {ctx.platform} link")


#: the metrics the report's ``device`` block is made of, in its order
DEVICE_METRICS = tuple(name for name, spec in IdentityCheck.metrics.items() if spec.device)


async def _run_android(link: AndroidLink, timeout: float) -> CheckResult | dict[str, Metric]:
    reply = await link.shell(GETPROP, timeout=timeout)
    props = parse_getprop(reply.stdout)
    if not any(props.get(key) for key in _CORE_PROPS):
        why = f"`{GETPROP}` gave nothing usable ({_failure(reply) or 'no build or product property'})"
        return CheckResult("error", _all_unknown("android", why, GETPROP), detail=why)
    metrics = android_identity(props)
    imei_reply = await link.shell(IMEI, timeout=timeout)
    metrics["imei"] = _imei_metric(_parcel_imei(imei_reply), _candidates(_prop_imeis(props)), IMEI)
    return metrics


def _parcel_imei(reply: ShellResult) -> Candidates:
    """The IMEI in the `service call` reply, or why there is none in the phone's own
    words: `service` prints "Service iphonesubinfo does not exist" to stderr and exits 0,
    so stderr is kept whatever the exit code."""
    parcel = parse_string_reply(reply.stdout)
    if parcel.value is not None:
        return _candidates([(parcel.value, IMEI)])
    if reply.stdout.strip():
        why = parcel.error or "no IMEI in the reply"
        why += f" (exit {reply.exit_code})" if not reply.ok else ""
        words = said(reply.stderr)
        why += f"; the phone said: {words}" if words else ""
    else:
        why = shell_problem(reply) or "printed nothing"
    return [], [f"{IMEI}: {why}"]


def android_identity(props: Mapping[str, str]) -> dict[str, Metric]:
    """Identity metrics from parsed `getprop` output. ``imei`` here holds only what the
    props carry; the check merges in the `service call` reply."""
    sdk = _prop(props, "ro.build.version.sdk")
    marketing = _prop(props, *MARKETING_PROPS)
    if marketing.value is None:
        marketing = unknown("the phone states no marketing name (ro.product.marketname or the like)", marketing.source)
    sdk_int = Metric(int(sdk.value), sdk.source) if _is_int(sdk.value) else unknown("not a whole number", sdk.source)
    return {
        "platform": known("android", "link"),
        "manufacturer": _prop(props, "ro.product.manufacturer", "ro.product.vendor.manufacturer"),
        "brand": _prop(props, "ro.product.brand", "ro.product.vendor.brand"),
        "model": _prop(props, "ro.product.model", "ro.product.vendor.model", "ro.product.odm.model"),
        "model_code": _prop(props, "ro.product.device", "ro.product.vendor.device", "ro.product.odm.device"),
        "marketing_name": marketing,
        "serial": _prop(props, "ro.serialno", "ro.boot.serialno"),
        "imei": _imei_metric(([], []), _candidates(_prop_imeis(props)), GETPROP),
        "os_version": _prop(props, "ro.build.version.release", "ro.build.version.release_or_codename"),
        "build": _prop(props, "ro.build.id"),
        "emulator": _emulator(props),
        "sdk_int": sdk_int,
        "security_patch": _prop(props, "ro.build.version.security_patch"),
        "fingerprint": _prop(props, "ro.build.fingerprint"),
        "hardware": _prop(props, "ro.hardware"),
        "build_display": _prop(props, "ro.build.display.id"),
    }


async def _run_ios(link: IosLink, timeout: float) -> CheckResult | dict[str, Metric]:
    values = await link.lockdown_value(LOCKDOWN_DEFAULT, timeout=timeout)
    if not isinstance(values, Mapping) or not any(_text(values.get(k)) for k in _IOS_CORE):
        why = f"lockdown's default domain gave nothing usable (none of {', '.join(_IOS_CORE)})"
        return CheckResult("error", _all_unknown("ios", why, _IOS_READ), detail=why)
    return ios_identity(values)


def ios_identity(values: Mapping[str, Any]) -> dict[str, Metric]:
    """Identity metrics from lockdown's default domain. DeviceName is left out on
    purpose: it is what the owner called the phone, often their own name."""
    product = _lockdown(values, "ProductType")
    name = apple_marketing_name(product.value) if product.value else None
    number, region = _text(values.get("ModelNumber")), _text(values.get("RegionInfo"))
    apple = Metric("Apple", lockdown_source("", "ProductType"), method="every iOS device is made by Apple")
    return {
        "platform": known("ios", "link"),
        "manufacturer": apple,
        "brand": apple,
        "model": product,
        "model_code": _model_code(number, region),
        "marketing_name": (
            Metric(name, product.source, method="ProductType looked up in the iPhone/iPad/iPod table")
            if name
            else unknown(f"ProductType {product.value!r} is not in the iPhone/iPad/iPod table", product.source)
        ),
        "serial": _lockdown(values, "SerialNumber"),
        "imei": _ios_imei(values, product.value),
        "os_version": _lockdown(values, "ProductVersion"),
        "build": _lockdown(values, "BuildVersion"),
        "emulator": Metric(False, _IOS_READ, method="a phone that answers lockdown over usbmux is hardware"),
        "udid": _lockdown(values, "UniqueDeviceID"),
        "hardware_model": _lockdown(values, "HardwareModel"),
    }


def _ios_imei(values: Mapping[str, Any], product_type: str | None) -> Metric:
    """The IMEIs lockdown gives; a missing key is told apart from a value that is not text,
    and an iPad or iPod touch without one is most likely a model without a modem."""
    source = lockdown_source("", _IOS_IMEI_KEYS[0])
    present = [key for key in _IOS_IMEI_KEYS if key in values]
    if not present:
        return unknown(_NO_IMEI_KEY.get(device_family(product_type) or "", "no IMEI key in lockdown"), source)
    found = ((_text(values[key]), lockdown_source("", key)) for key in present)
    return _imei_metric(_candidates(found, "not given as text"), ([], []), source)


def _candidates(found: Iterable[tuple[str | None, str]], missing: str | None = None) -> Candidates:
    """Split (value, source) pairs into valid IMEIs and notes on the rest; ``missing``
    says why a value is None."""
    good: list[tuple[str, str]] = []
    notes: list[str] = []
    for value, source in found:
        if value is None:
            notes.append(f"{source}: {missing or 'not given'}")
        elif problem := imei_problem(value.strip()):
            notes.append(f"{source}: {problem}")
        else:
            good.append((value.strip(), source))
    return good, notes


def _imei_metric(first: Candidates, second: Candidates, default_source: str) -> Metric:
    """One list of distinct IMEIs, or None with every reason none was found."""
    pairs = first[0] + second[0]
    notes = list(dict.fromkeys(first[1] + second[1]))
    imeis = list(dict.fromkeys(value for value, _ in pairs))
    if not imeis:
        return unknown("; ".join(notes) or "no IMEI found", default_source)
    sources = ", ".join(dict.fromkeys(source for _, source in pairs))
    dropped = f"; dropped {'; '.join(notes)}" if notes else ""
    return Metric(imeis, sources, method=f"Luhn-checked 15-digit IMEIs{dropped}")


def _prop_imeis(props: Mapping[str, str]) -> list[tuple[str | None, str]]:
    return [(props[key], f"{GETPROP} {key}") for key in sorted(props) if IMEI_PROP.search(key)]


def _prop(props: Mapping[str, str], *keys: str) -> Metric:
    """The first of ``keys`` with a non-blank value."""
    for key in keys:
        value = props.get(key, "").strip()
        if value:
            return Metric(value, f"{GETPROP} {key}")
    missing = f"{keys[0]} is not set" if len(keys) == 1 else f"none of {', '.join(keys)} is set"
    return unknown(missing, f"{GETPROP} {keys[0]}")


def _emulator(props: Mapping[str, str]) -> Metric:
    """True on an emulator or virtual device, naming the signature that gave it away."""
    model = props.get("ro.product.model", "")
    signs = [f"{k}=1" for k in ("ro.kernel.qemu", "ro.boot.qemu") if props.get(k) == "1"]
    signs += [f"{k}={props[k]}" for k in ("ro.hardware", "ro.boot.hardware") if props.get(k) in _EMULATOR_HARDWARE]
    if model.startswith(("sdk_gphone", "Android SDK built for")):
        signs.append(f"ro.product.model={model}")
    if props.get("ro.product.manufacturer") == "Genymotion":
        signs.append("ro.product.manufacturer=Genymotion")
    if signs:
        return Metric(True, GETPROP, method=f"emulator signature: {', '.join(signs)}")
    return Metric(False, GETPROP, method="no emulator signature (qemu props, emulator hardware, SDK model)")


def _model_code(number: str | None, region: str | None) -> Metric:
    """The part number Apple prints on the box (``MLPF3`` + ``LL/A``)."""
    source = lockdown_source("", "ModelNumber")
    if number is None:
        return unknown("lockdown has no ModelNumber", source)
    if region is None:
        return Metric(number, source, method="ModelNumber alone (lockdown has no RegionInfo)")
    return Metric(number + region, source, method="ModelNumber + RegionInfo")


def _lockdown(values: Mapping[str, Any], key: str) -> Metric:
    value = _text(values.get(key))
    source = lockdown_source("", key)
    return Metric(value, source) if value else unknown(f"lockdown has no {key} (or it is not text)", source)


def _all_unknown(platform: str, reason: str, source: str) -> dict[str, Metric]:
    """The device metrics when nothing could be read: all None but the platform, which
    the link already told us."""
    metrics = {name: unknown(reason, source) for name in DEVICE_METRICS}
    metrics["platform"] = known(platform, "link")
    return metrics


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _is_int(value: Any) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit()


def _failure(reply: ShellResult) -> str | None:
    """Why a shell command failed, or None when it did not."""
    if reply.ok:
        return None
    return f"failed with exit {reply.exit_code}: {said(reply.stderr) or 'no message'}"
