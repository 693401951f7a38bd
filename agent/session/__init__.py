"""Sessions: one per phone, from its first sighting to its saved report.

Owns the engine (``run_session``, the only way a session runs), the events it yields, the
operator port (how a session asks the technician), the supervisor that starts sessions as
phones come and go, bench slots, the hub (where phones come from) and the station (what
every session shares, opened once per process).

May import: links, discovery, grading, report, delivery, fixtures, the check API and the
shared leaf modules. Never a front end (cli, tui) and never the built-in checks, which
arrive through ``agent.plugins``.
"""
