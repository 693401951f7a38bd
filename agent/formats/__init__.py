"""Text formats Android phones answer in, read by the built-in checks and by the agent's own
fixture tools (recording, redaction) alike: ``getprop`` listings, Binder parcel replies of
``service call``, IMEIs (Luhn), and ``dumpsys account`` (account counts for the lock check, the
names only for redaction).

A leaf: imports nothing of phonebench but ``agent.text``.
"""
