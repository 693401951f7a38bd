"""phonebench: a diagnostics agent for phone inspection benches.

The public API for third-party checks is re-exported here; everything else is internal.
"""

from importlib.metadata import PackageNotFoundError, version

from agent.check import Check, CheckContext, CheckResult, Choice, Metric, MetricSpec, Question, declare, known, unknown

try:  # the one place the version is written is pyproject.toml
    __version__ = version("phonebench")
except PackageNotFoundError:  # a checkout on sys.path without an install
    __version__ = "0+unknown"
from agent.errors import LinkDisconnected, LinkError, LinkTimeout, PhonebenchError

__all__ = [
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
