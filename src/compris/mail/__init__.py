"""The workspace's outgoing e-mail (to partners, reminders): SMTP settings, the mail queue and the send job.
"""
