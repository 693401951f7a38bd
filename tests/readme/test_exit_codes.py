"""One error tree and one exit-code table: the README's table, agent/errors.py's drawing and
the classes themselves say the same thing, and no exception class lives anywhere else."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

from agent import errors
from agent.errors import ExitCode, PhonebenchError

ROOT = Path(__file__).resolve().parents[2]
#: a README table row: | 8    | `STORAGE`     | ...
ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*`([A-Z_]+)`\s*\|")
#: a drawing line: ├── OutboxError     the outbox ... (8 STORAGE)
DRAWN = re.compile(r"[├└]── (\w+)\s.*?(?:\((\d+) ([A-Z_]+)\))?$")


def readme_exit_codes() -> dict[int, str]:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    return {int(m[1]): m[2] for m in map(ROW.match, lines) if m}


def error_classes() -> list[type[PhonebenchError]]:
    return [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, PhonebenchError)]


def test_the_readme_exit_code_table_is_exit_code() -> None:
    assert readme_exit_codes() == {code.value: code.name for code in ExitCode}


def test_the_signals_that_stop_a_process_exit_with_documented_codes() -> None:
    import signal

    from agent.shutdown import SIGNALS

    documented = readme_exit_codes()
    for sig in (*SIGNALS, signal.SIGINT):
        assert 128 + sig in documented, sig.name


def test_every_error_class_exits_with_an_exit_code() -> None:
    for cls in error_classes():
        assert isinstance(cls.exit_code, ExitCode), cls.__name__


def test_the_drawn_tree_names_every_error_class_with_its_parent_and_exit_code() -> None:
    doc = errors.__doc__ or ""
    drawn = {m[1]: m for m in (DRAWN.search(line) for line in doc.splitlines()) if m}
    assert set(drawn) | {"PhonebenchError"} == {c.__name__ for c in error_classes()}
    for name, match in drawn.items():
        cls = getattr(errors, name)
        if match[2] is not None:  # a code drawn on a line must be the class's
            assert (int(match[2]), match[3]) == (cls.exit_code.value, cls.exit_code.name), name
    indent = {name: doc.index(f"── {name} ") for name in drawn}
    for name in drawn:
        parent = getattr(errors, name).__mro__[1].__name__
        line_start = doc.rfind("\n", 0, indent[name])
        column = indent[name] - line_start
        if parent != "PhonebenchError":
            parent_column = indent[parent] - doc.rfind("\n", 0, indent[parent])
            assert column == parent_column + 4, f"{name} is not drawn under {parent}"


def test_no_exception_class_is_defined_outside_agent_errors() -> None:
    found = []
    for path in sorted([*ROOT.glob("agent/**/*.py"), *ROOT.glob("checks/**/*.py")]):
        if path == ROOT / "agent" / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(_looks_like_exception(b) for b in node.bases):
                found.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert not found


def test_commands_return_exit_codes_not_bare_integers() -> None:
    bare = []
    for path in sorted((ROOT / "agent" / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value = node.value if isinstance(node, ast.Return) else None
            if isinstance(value, ast.Constant) and type(value.value) is int:  # True/False are not exits
                bare.append(f"{path.name}:{node.lineno}")
    assert not bare


def _looks_like_exception(base: ast.expr) -> bool:
    name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
    return name == "Exception" or name.endswith(("Error", "Timeout", "Disconnected", "NotReady", "Pending",
                                                 "Denied", "Locked", "NotPaired"))
