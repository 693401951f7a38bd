"""Every command line and read the built-in checks send, in one place.

Fixtures key their recorded outputs by these exact strings, so changing one means
re-recording (or editing) every fixture that answers it.
"""

# Android shell commands (sent as is through `adb shell`); getprop and the IMEI parcel call
# are the agent's own, since recording and redaction read their outputs too
from agent.formats.getprop import GETPROP
from agent.formats.parcel import IMEI

DUMPSYS_BATTERY = "dumpsys battery"
SYS_BATTERY = "/sys/class/power_supply/battery"
SYS_CYCLE_COUNT = f"cat {SYS_BATTERY}/cycle_count"
SYS_CHARGE_FULL = f"cat {SYS_BATTERY}/charge_full"
SYS_CHARGE_FULL_DESIGN = f"cat {SYS_BATTERY}/charge_full_design"
WM_SIZE = "wm size"
WM_DENSITY = "wm density"
DUMPSYS_DISPLAY = "dumpsys display"
DF_DATA = "df /data"
DUMPSYS_DISKSTATS = "dumpsys diskstats"
MMC_LIFE_TIME = "cat /sys/block/mmcblk0/device/life_time"
MMC_PRE_EOL = "cat /sys/block/mmcblk0/device/pre_eol_info"
# the shell expands the glob: every UFS controller, whatever its SoC address
UFS_LIFE_TIME = "cat /sys/bus/platform/drivers/ufshcd/*/health_descriptor/life_time_estimation_a"

# iOS reads (lockdown domain, IORegistry entry name)
LOCKDOWN_DEFAULT = ""
LOCKDOWN_BATTERY = "com.apple.mobile.battery"
LOCKDOWN_DISK = "com.apple.disk_usage"
LOCKDOWN_ITUNES = "com.apple.mobile.iTunes"
IOREG_BATTERY = "AppleSmartBattery"

#: the source of figures taken from the model catalog rather than read from the phone
CATALOG = "catalog"


def lockdown_source(domain: str, key: str) -> str:
    """How a metric read from lockdown names its source."""
    return f"lockdown:{domain}/{key}" if domain else f"lockdown:{key}"


def ioreg_source(entry: str, key: str) -> str:
    return f"ioregistry:{entry}/{key}"
