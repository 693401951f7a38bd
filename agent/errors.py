"""The one exception tree of phonebench.

    PhonebenchError                 root; the CLI maps each area to an exit code
    ├── UsageError                  a command line or option that makes no sense (exit 2)
    ├── FixtureError                a recorded phone file that cannot be read (exit 3)
    ├── ProfileError                a grading profile or the model catalog is wrong (exit 4)
    ├── ConfigError                 the station config is wrong (exit 4)
    ├── SigningError                the station key cannot be read or used (exit 6)
    │   └── VerificationError       an envelope, a report or a chain does not verify (exit 7)
    │       └── UnknownKeyError     signed by a key the verifier does not know
    ├── OutboxError                 the report outbox cannot be written (exit 8)
    └── LinkError                   talking to a phone failed (exit 5)
        ├── LinkTimeout             the phone did not answer in time
        └── LinkDisconnected        the phone went away

A failed check ("the battery is worn") is never an exception: it is a metric that a
profile grades. These exceptions mean "we could not tell" or "you asked for something
that cannot be done".
"""

from __future__ import annotations


class PhonebenchError(Exception):
    """Root of every error phonebench raises on purpose."""

    exit_code = 1


class UsageError(PhonebenchError):
    exit_code = 2


class FixtureError(PhonebenchError):
    exit_code = 3


class ProfileError(PhonebenchError):
    exit_code = 4


class ConfigError(PhonebenchError):
    exit_code = 4


class LinkError(PhonebenchError):
    exit_code = 5


class LinkTimeout(LinkError):
    pass


class LinkDisconnected(LinkError):
    pass


class SigningError(PhonebenchError):
    exit_code = 6


class VerificationError(SigningError):
    exit_code = 7


class UnknownKeyError(VerificationError):
    pass


class OutboxError(PhonebenchError):
    exit_code = 8
