"""Satisfaction surveys after resolution, on the network the customer used: when (rules), how (per network,
privately, plus a signed link to the survey page), answers understood on the channel, and results (CSAT).
"""
