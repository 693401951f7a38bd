"""The ``phonebench`` command line: a module per command group, over the same engine events as the TUI.

``main`` maps every ``PhonebenchError`` to its exit code (``agent.errors.ExitCode``) and a
one-line message. Textual is loaded only by the commands that open the TUI.

May import: everything below the front ends; ``agent.tui`` only lazily, inside a command.
"""
