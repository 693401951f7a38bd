"""Every command line and read the built-in checks send, in one place.

Fixtures key their recorded outputs by these exact strings, so changing one means
re-recording (or editing) every fixture that answers it.
"""

# Android shell commands (sent as is through `adb shell`); getprop, the IMEI parcel call and
# the accounts dump are the agent's own, since recording and redaction read their outputs too
from agent.formats.accounts import DUMPSYS_ACCOUNT as DUMPSYS_ACCOUNT
from agent.formats.getprop import GETPROP as GETPROP
from agent.formats.parcel import IMEI as IMEI

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


# -- locks: what holds the phone to someone, and signs of tampering ---------------------
# Android shell commands (the accounts dump prints account names: parsers keep counts only)
SETTINGS_FRP_MODE = "settings get global secure_frp_mode"
SETTINGS_SETUP_COMPLETE = "settings get secure user_setup_complete"
DPM_LIST_OWNERS = "dpm list-owners"
#: only sent where `dpm list-owners` does not exist (Android 10 and older)
DUMPSYS_DEVICE_POLICY = "dumpsys device_policy"
#: where su binaries live when a phone is rooted; `ls` answers each path on its own line
SU_PATHS = ("/system/bin/su", "/system/xbin/su", "/sbin/su", "/system/sbin/su", "/vendor/bin/su", "/su/bin/su")
LS_SU = "ls -l " + " ".join(SU_PATHS)
#: root managers' package names contain one of these words (grep exits 1 when none does)
ROOT_APP_WORDS = ("magisk", "kernelsu", "apatch", "supersu", "superuser")
PM_ROOT_APPS = "pm list packages | grep -iE '" + "|".join(ROOT_APP_WORDS) + "'"

# iOS lockdown domains and the mobile-config service (lockdown StartService)
LOCKDOWN_FMIP = "com.apple.fmip"
LOCKDOWN_CHAPERONE = "com.apple.mobile.chaperone"
MCINSTALL = "com.apple.mobile.MCInstall"  # agent.links.base.MCINSTALL, the links' spelling
MC_CLOUD_CONFIGURATION = "GetCloudConfiguration"
MC_PROFILE_LIST = "GetProfileList"
