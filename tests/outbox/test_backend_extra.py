"""starlette and uvicorn are the ``backend`` extra: a station installed without it can still
enroll and list, and ``backend serve`` names the pip command in one line. The libraries are
hidden from a child process by a meta-path finder, not uninstalled."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from agent.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]

#: run ``python -m agent.backend`` or the ``phonebench`` CLI as if the extra were not installed
WITHOUT_EXTRA = """
import sys

class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("starlette", "uvicorn"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
from agent.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def phonebench_without_extra(*argv: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".data"))
    return subprocess.run([sys.executable, "-c", WITHOUT_EXTRA, *argv], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env=env)  # cwd first on sys.path: this checkout's agent


def test_serve_without_the_extra_names_the_pip_command_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "received.sqlite3"
    done = phonebench_without_extra("backend", "serve", "--port", "0", "--db", str(db), home=tmp_path)
    assert done.returncode == ExitCode.CONFIG
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("phonebench: backend serve needs ")  # starlette or uvicorn, whichever is missed first
    assert done.stderr.endswith(", which is not installed: pip install 'phonebench[backend]'\n")
    assert not db.exists()


def test_enroll_and_list_need_no_extra(tmp_path: Path) -> None:
    pem = tmp_path / "station.pem"
    exported = phonebench_without_extra("keys", "export", home=tmp_path)
    assert exported.returncode == ExitCode.OK, exported.stderr
    pem.write_text(exported.stdout)
    db = tmp_path / "received.sqlite3"
    assert phonebench_without_extra("backend", "enroll", str(pem), "--db", str(db), home=tmp_path).returncode == 0
    listed = phonebench_without_extra("backend", "list", "--db", str(db), "--json", home=tmp_path)
    assert (listed.returncode, listed.stdout.split()) == (ExitCode.OK, ["{", '"reports":', "[]", "}"])
