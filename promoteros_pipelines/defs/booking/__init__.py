"""Booking: which artist at which venue, when, and what it will earn; the offer workflow.

Each module registers its own definitions (the defs-folder loader finds them): the
opportunities asset and its schedule (``opportunities.py``), the offer workflow's job and
sensor (``offer_jobs.py``) and the ``booking.response`` webhook's job and sensor
(``responses.py``).
"""
