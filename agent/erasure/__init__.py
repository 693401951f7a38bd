"""Erasing phones and the signed record of it (``phonebench erase``).

``certificate`` builds the NIST SP 800-88 Rev. 1 record; ``ios`` erases an iPhone over
lockdown and checks it came back fresh. The certificate is saved through the same Ledger
as reports, under its own payloadType (``ERASURE_PAYLOAD_TYPE``).
"""
