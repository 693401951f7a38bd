"""Where a station keeps its things (platformdirs, so each OS gets its usual place).

config dir: the station key and the station config
data dir:   signed reports, the chain state and the outbox
state dir:  what running processes leave to be cleaned up should they be killed
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "phonebench"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


def state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP))


def slots_path() -> Path:
    """The slots this station gave USB ports the config does not map (agent.session.slots)."""
    return state_dir() / "slots.json"


def key_path() -> Path:
    """The station's Ed25519 private key (PEM, mode 0600)."""
    return config_dir() / "station_ed25519.pem"


def config_path() -> Path:
    return config_dir() / "station.yaml"


def reports_dir() -> Path:
    return data_dir() / "reports"


def chain_state_path() -> Path:
    """The station's last chain link (sequence and payload digest)."""
    return data_dir() / "chain.json"


def outbox_path() -> Path:
    return data_dir() / "outbox.sqlite3"


def side_records_dir(kind: str) -> Path:
    """Where reports of phones that are not real (``replays``, ``demo``) are kept: a folder,
    chain and outbox of their own, never the station's."""
    return data_dir() / kind
