"""The report: building it, its JSON Schema, DSSE signing, the station's chain, verifying, summaries.

Owns the ``phonebench.report/2`` contract (``report-2.schema.json``; v1 still verifies), the station key and
its DSSE envelopes, the chain store that links each report to the one before, ``verify``,
and the plain-text views of a report.

May import: the shared leaf modules only, so a backend can verify without the bench.
"""
