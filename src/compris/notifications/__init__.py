"""Notifications (issue 18): what each user should know about — a mention in an internal note, a case assigned to
them, a partner's answer, an SLA at risk or breached, a low satisfaction rating — made by listeners on the domain
events, shown in the top bar's bell, on ``/notifications`` and (optionally) as browser notifications."""
