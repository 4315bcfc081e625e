"""Every query the use cases run, one module per area.

Each function takes the open :class:`~phr_share.db.Session` (the unit of work the use
case committed or rolled back as a whole) first, and returns rows or plain values:
``phr_share.sharing`` reads as orchestration and never builds SQL itself.
"""
