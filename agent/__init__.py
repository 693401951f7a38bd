"""phonebench: a diagnostics agent for phone inspection benches.

The public API for third-party checks is re-exported here; everything else is internal.
"""

__version__ = "0.1.0"

from agent.check import Check, CheckContext, CheckResult, Choice, Metric, Question, known, unknown
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
    "PhonebenchError",
    "Question",
    "__version__",
    "known",
    "unknown",
]
