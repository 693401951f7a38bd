"""The README's pytest-plugin example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_ci_example_passes(pytester: pytest.Pytester) -> None:
    readme = (ROOT / "README.md").read_text()
    example = next(block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "phonebench_session" in block)
    pytester.makepyfile(test_user=example.replace("fixtures/", f"{ROOT}/fixtures/"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
