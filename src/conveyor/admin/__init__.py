"""Security and compliance administration that works on the database directly: access reviews,
audit-log export and verification, erasure of a user's personal data, credential rotation.

The ``conveyor admin`` commands (``commands.py``) call these; each module keeps its SQL as named
queries in ``sql/`` (loaded by ``queries.py``, the store's pattern), so the queries can be read
and tested as SQL.
"""
