"""Monitoring (issue 22, item 6): the Prometheus figures of a Compris installation.

- ``listeners.py``: the domain events counted by the process that handles them (messages taken in, replies sent,
  retried, failed, uncertain — by network), after their transaction commits;
- ``queries.py``: what the database says at scrape time, the same from any process (job queue depth and age per
  lane, inbound events waiting, replies waiting or needing a person);
- the process's own metric objects are in :mod:`compris.kit.metrics`; ``/metrics`` (``compris.web.metrics``) and
  ``compris worker --metrics-port`` expose both.

No write of its own: there is no ``actions.py``.
"""
