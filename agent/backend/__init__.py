"""The reference receiver: what a grading backend does with a station's uploads.

It verifies each envelope against the enrolled station keys, stores it once (by report
id), and checks each station's chain, flagging gaps and breaks on the stored row rather
than refusing the report: a missing report is something to look into, and the report in
hand is still genuine. It refuses a report naming another station than its key's, or of a
provenance it does not accept, and records that refusal against the chain's sequence, so
the gap it leaves is explained. Run it with ``phonebench backend serve`` (or ``python -m
agent.backend serve``).
"""
