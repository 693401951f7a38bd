"""The engine runs headless: no module outside agent/tui/ may load Textual, and the public
API stays what third-party checks were promised."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import agent
import checks

HEAVY = ("textual", "pymobiledevice3")


def _headless_modules() -> list[str]:
    names = []
    for package in (agent, checks):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".tui" in info.name or info.name.endswith("__main__"):
                continue
            names.append(info.name)
    return sorted(names)


def test_no_headless_module_imports_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {_headless_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "    assert 'textual' not in sys.modules, name\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_cli_start_does_not_import_heavy_libraries() -> None:
    code = f"import sys, agent.cli.main; agent.cli.main.build_parser(); print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_public_api_is_pinned() -> None:
    assert agent.__all__ == sorted(agent.__all__)
    assert agent.__all__ == [
        "Check",
        "CheckContext",
        "CheckResult",
        "Choice",
        "LinkDisconnected",
        "LinkError",
        "LinkTimeout",
        "Metric",
        "MetricSpec",
        "PhonebenchError",
        "Question",
        "__version__",
        "declare",
        "known",
        "unknown",
    ]
