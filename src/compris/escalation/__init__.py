"""Escalation to partners and internal back-office teams: partners and teams (admin), escalating a case,
the partner's signed-link portal and e-mail answers, due times on a business calendar, reminders and overdue.
"""
