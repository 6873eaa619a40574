"""Business actions agents run from a case (rebook, refund, voucher, cancel order): signed, idempotent HTTPS
calls to the brand's own systems, by permission, with their results on the timeline and in reply templates.
"""
