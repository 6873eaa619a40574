"""Every write of privacy: erasure (``erasure.py``) and retention (``retention.py``)."""
