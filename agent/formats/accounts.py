"""`dumpsys account`: how many accounts of each type the phone holds, never who they are.

AccountManagerService prints, per device user, a header and then exactly N account lines:

    User UserInfo{0:Owner:c13}:
      Accounts: 2
        Account {name=someone@gmail.com, type=com.google}
        Account {name=Meet, type=com.google.android.apps.tachyon}

      AccountId, Action_Type, timestamp, UID, TableName, Key
      Accounts History
      ...
      Active Sessions: 1
        Session: ..., Account {name=someone@gmail.com, type=com.google}, ...
      RegisteredServicesCache: 36 services
        ServiceInfo: AuthenticatorDescription {type=com.google}, ...
      Account visibility:
        someone@gmail.com
          com.android.vending, 2

Only the N lines after ``Accounts: N`` are accounts: sessions, the authenticator list and
the visibility table name accounts and types again and are skipped. The account name (an
e-mail, a phone number, a person's name) is never kept: it is cut off before anything else
looks at the line, and the type after the last ``, type=`` is what is counted, so a name
that itself contains ``, type=`` cannot pass for another type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

#: the command whose dump this module reads (fixtures key its output by it)
DUMPSYS_ACCOUNT = "dumpsys account"

_USER = re.compile(r"^\s*User UserInfo\{")
_COUNT = re.compile(r"^\s*Accounts: (\d+)\s*$")
_ACCOUNT = re.compile(r"^\s*Account \{name=.*\}\s*$")
_TYPE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
#: what a type that is not a plain dotted name is counted as (types are the apps' own text)
ODD_TYPE = "(unreadable type)"

GOOGLE = "com.google"
#: account types whose sign-in also locks the phone after a factory reset, and what locks it
VENDOR_LOCKS: Mapping[str, str] = {
    "com.osp.app.signin": "Samsung account (Reactivation Lock)",
    "com.xiaomi": "Xiaomi account (Find device)",
    "com.huawei.hwid": "HUAWEI ID (Find Device activation lock)",
}


@dataclass(frozen=True)
class AccountCounts:
    """Accounts per type over every device user; ``short`` is True when a user's block
    listed fewer account lines than its ``Accounts: N`` promised (a cut-off dump)."""

    by_type: Mapping[str, int]
    users: int
    short: bool = False

    def count(self, account_type: str) -> int:
        return self.by_type.get(account_type, 0)

    @property
    def vendor_locks(self) -> dict[str, int]:
        return {t: n for t, n in self.by_type.items() if t in VENDOR_LOCKS}


def parse_dumpsys_account(text: str) -> AccountCounts | None:
    """Counts per account type, or None when the text has no ``Accounts: N`` line at all."""
    counts: dict[str, int] = {}
    users = blocks = 0
    expected = 0
    short = False
    for line in text.splitlines():
        if _USER.match(line):
            users += 1
        if (head := _COUNT.match(line)) is not None:
            short = short or expected > 0
            expected = int(head.group(1))
            blocks += 1
            continue
        if expected <= 0:
            continue
        if not _ACCOUNT.match(line):
            short, expected = True, 0
            continue
        kind = account_type(line)
        counts[kind] = counts.get(kind, 0) + 1
        expected -= 1
    if blocks == 0:
        return None
    return AccountCounts(dict(sorted(counts.items())), max(users, 1), short or expected > 0)


def account_type(line: str) -> str:
    """The type of one ``Account {name=..., type=...}`` line; the name is dropped here."""
    body = line.strip()[len("Account {"):-1]
    _, sep, kind = body.rpartition(", type=")
    kind = kind.strip() if sep else ""
    return kind if _TYPE.match(kind) else ODD_TYPE


def account_names(text: str) -> list[str]:
    """Every account name the dump shows, for a recording's redactor to replace: the
    ``name=`` of each ``Account {...}`` (sessions included) and the names heading the
    ``Account visibility:`` table. Never used to build a report."""
    names = [m.group(1) for m in re.finditer(r"Account \{name=(.*?), type=[^,{}]*\}", text)]
    table: int | None = None  # indentation of the table's header while inside it
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if line.strip() == "Account visibility:":
            table = indent
        elif table is not None and (not line.strip() or indent <= table):
            table = None
        elif table is not None and indent == table + 2:
            names.append(line.strip())
    return list(dict.fromkeys(n for n in names if n.strip()))
