"""The one exception tree of phonebench, and the exit codes the CLI maps it to.

    PhonebenchError                 root; ``exit_code`` is what the CLI exits with (ExitCode)
    ├── UsageError                  a command line or option that makes no sense (2 USAGE)
    ├── FixtureError                a recorded phone file that is not there or cannot be read (3 FIXTURE)
    ├── ProfileError                a grading profile or the model catalog is wrong (4 CONFIG)
    ├── ConfigError                 the station config or environment is wrong, or an extra is missing (4 CONFIG)
    ├── LinkError                   talking to a phone (or to the adb server, usbmuxd) failed (5 SESSION)
    │   ├── LinkTimeout             the phone did not answer in time
    │   ├── LinkDisconnected        the phone went away
    │   ├── NotReady                the phone is there but waits for the technician; ``state`` says why
    │   ├── TrustPending            the Trust dialog is up on the iPhone
    │   ├── TrustDenied             the technician tapped Don't Trust
    │   ├── PhoneLocked             the iPhone has a passcode and is locked
    │   ├── NotPaired               pairing failed, or the iPhone forgot this station
    │   └── EraseRequestRefused     the phone answered an erase request with an error: nothing erased
    ├── SimulatorError              a simulated phone could not be started or driven (5 SESSION)
    │   └── WireError               a peer sent bytes that are not the protocol: drop that connection
    ├── SigningError                the station key cannot be used, or the chain state is corrupt (6 KEY)
    │   └── VerificationError       an envelope, a report or a chain does not verify (7 VERIFY)
    │       └── UnknownKeyError     signed by a key the verifier does not know
    ├── StorageError                a signed report cannot be kept (8 STORAGE)
    │   ├── ReportStoreError        the report folder or the chain lock cannot be written
    │   ├── OutboxError             the outbox cannot be read or written
    │   └── NotARealPhoneError      a simulated or replayed phone's report offered to the station's record
    ├── PrinterError                the label printer cannot be reached or refused the label (9 PRINTER)
    └── ErasureRefused              an erase was refused before anything was erased: Find My or a
                                    Google account would lock the phone, or the confirmation failed (10 REFUSED)

A failed check ("the battery is worn") is never an exception: it is a metric that a
profile grades. These exceptions mean "we could not tell" or "you asked for something
that cannot be done". The classes live here, and only here, so that one ``except`` per
area is enough and the exit codes cannot drift apart; the modules that raise them
re-export the ones they own (``agent.links.ios.TrustPending`` still works).

README.md has the same exit codes as a table; a test keeps the two equal.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What ``phonebench`` exits with. Scripts and CI depend on these: change none of them."""

    OK = 0
    #: an error that no code below names (Python exits 1 on a crash, too)
    ERROR = 1
    USAGE = 2
    FIXTURE = 3
    #: a profile, the model catalog, the station config or the environment
    CONFIG = 4
    #: a phone (real or simulated) that could not be reached, or a session that could not run
    SESSION = 5
    KEY = 6
    VERIFY = 7
    #: a signed report that could not be stored, or reports still undelivered after ``outbox drain``
    STORAGE = 8
    #: the label printer (raw TCP or a CUPS queue) cannot be reached or refused the label
    PRINTER = 9
    #: ``erase`` refused before erasing anything (Find My on, a Google account or FRP, no confirmation)
    REFUSED = 10
    #: SIGHUP (128 + 1): the terminal closed or the SSH session dropped
    HANGUP = 129
    INTERRUPTED = 130
    #: SIGTERM (128 + 15): told to stop by a service manager or ``kill``
    TERMINATED = 143


class PhonebenchError(Exception):
    """Root of every error phonebench raises on purpose."""

    exit_code: ExitCode = ExitCode.ERROR


class UsageError(PhonebenchError):
    exit_code = ExitCode.USAGE


class FixtureError(PhonebenchError):
    exit_code = ExitCode.FIXTURE


class ProfileError(PhonebenchError):
    exit_code = ExitCode.CONFIG


class ConfigError(PhonebenchError):
    exit_code = ExitCode.CONFIG


class LinkError(PhonebenchError):
    exit_code = ExitCode.SESSION


class LinkTimeout(LinkError):
    pass


class LinkDisconnected(LinkError):
    pass


class NotReady(LinkError):
    """Opening a link found the phone not ready: ``state`` says why (trust_pending, denied...),
    the message what the technician should do."""

    def __init__(self, state: str, message: str | None = None) -> None:
        super().__init__(message or state)
        self.state = state


class TrustPending(LinkError):
    """The phone shows the Trust dialog; the technician has not answered it yet."""


class TrustDenied(LinkError):
    """The technician refused to trust this station on the phone."""


class PhoneLocked(LinkError):
    """The phone has a passcode and must be unlocked first."""


class NotPaired(LinkError):
    """The station and the phone could not pair (or the phone forgot the pairing)."""


class EraseRequestRefused(LinkError):
    """The phone answered an erase request (MCInstall or mobilebackup2 ``EraseDevice``) with an
    error: it did not start erasing, so another way may be tried. ``reply`` is what it said."""

    def __init__(self, message: str, reply: str | None = None) -> None:
        super().__init__(message)
        self.reply = reply or message


class SimulatorError(PhonebenchError):
    """A simulator could not be started or driven."""

    exit_code = ExitCode.SESSION


class WireError(SimulatorError):
    """A peer sent bytes that are not the protocol (adb or usbmux); the connection must close."""


class SigningError(PhonebenchError):
    exit_code = ExitCode.KEY


class VerificationError(SigningError):
    exit_code = ExitCode.VERIFY


class UnknownKeyError(VerificationError):
    pass


class StorageError(PhonebenchError):
    """A signed report cannot be kept: the station's data folder is full, read-only or broken."""

    exit_code = ExitCode.STORAGE


class ReportStoreError(StorageError):
    """The signed report's file or the chain lock cannot be written (the outbox may be fine)."""


class OutboxError(StorageError):
    """The outbox cannot be read or written, or has no such report."""


class NotARealPhoneError(StorageError):
    """A report from a simulator or a replay was handed to the station's own record."""


class PrinterError(PhonebenchError):
    """The label printer the station config names cannot be reached, or ``lp`` refused the job."""

    exit_code = ExitCode.PRINTER


class ErasureRefused(PhonebenchError):
    """Nothing was erased: erasing would hand the buyer a locked phone, or the technician did
    not confirm which phone to erase. The message says why and how to go on."""

    exit_code = ExitCode.REFUSED


# -- internal signals: raised and caught inside one module, never shown as they are ---------


class NoAnswer(Exception):
    """A question to the technician got no answer at all (its input ended): raised by a front
    end's ``ask``, caught by the eraser (agent/erasure/android.py), which records the erase as
    ``not_verified``, never as the technician's "no". The message says why."""



class DataRefused(ValueError):
    """Text that parses (JSON, YAML) but is past what phonebench reads: nesting, whole-number
    digits, non-finite numbers, aliases. ``line`` and ``path`` say where, when known; the
    reader turns it into its area's one-line error."""

    def __init__(self, what: str, line: int | None = None, path: str = "") -> None:
        super().__init__(what)
        self.what, self.line, self.path = what, line, path


class HttpRefused(Exception):
    """The reference receiver's one-line answer to a client: ``status`` and the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
