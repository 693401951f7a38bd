"""Delivery: the SQLite outbox of signed reports and the uploader that sends them to the backend.

May import: report (for stored reports), the station config and the shared leaf modules.
"""
