"""Links: the only code that talks to a phone (see base.py for the contract)."""

from agent.links.base import DEFAULT_TIMEOUT_S, AndroidLink, IosLink, Link, ShellResult

__all__ = ["DEFAULT_TIMEOUT_S", "AndroidLink", "IosLink", "Link", "ShellResult"]
