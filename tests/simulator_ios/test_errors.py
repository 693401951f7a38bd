"""What a pymobiledevice3 failure becomes at the link's boundary: one LinkError subclass
and one printable line, whatever the phone put in the exception."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pymobiledevice3 import exceptions as x

from agent.errors import LinkDisconnected, LinkError
from agent.links.ios import NotPaired, PhoneLocked, TrustDenied, TrustPending, wrap_error

CASES = [
    (x.PairingDialogResponsePendingError(), TrustPending),
    (x.UserDeniedPairingError(), TrustDenied),
    (x.PasswordRequiredError(), PhoneLocked),
    (x.DeviceNotFoundError("u", "gone"), LinkDisconnected),
    (x.ConnectionTerminatedError(), LinkDisconnected),
    (ConnectionResetError(), LinkDisconnected),
    (x.NotPairedError(), NotPaired),
    (x.FatalPairingError(), NotPaired),
    (x.BadCommandError("no"), LinkError),
    (x.ProtocolError("not a plist"), LinkError),
]


@pytest.mark.parametrize(("error", "expected"), CASES, ids=[type(e).__name__ for e, _ in CASES])
def test_each_failure_becomes_its_link_error(error: Exception, expected: type[LinkError]) -> None:
    wrapped = wrap_error(error, "UDID-1", "lockdown:")
    assert type(wrapped) is expected
    assert str(wrapped).startswith("UDID-1: ")


def test_text_from_the_phone_is_flattened_to_one_printable_line() -> None:
    message = str(wrap_error(x.ProtocolError("\x1b[31mred\nline two" + "x" * 500), "UDID-1", "lockdown:"))
    assert message.isprintable()
    assert len(message) < 240


def test_importing_the_link_leaves_pymobiledevice3_unloaded() -> None:
    """The TUI's cold start does not pay for pymobiledevice3 until a phone is read."""
    code = "import sys, agent.links.ios; print('pymobiledevice3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"
