"""The Textual front end of the bench: the only package that imports Textual.

``agent.cli.tui.run_tui`` starts it; ``agent.tui.app.BenchApp`` is the app; everything it
shows comes from the supervisor's events (agent/session/events.py).
"""
