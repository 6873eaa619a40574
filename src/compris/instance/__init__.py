"""The instance: its workspaces, made by instance admins (``users.instance_admin``), each with its first admin
invited by e-mail and sensible defaults (the FR/EN reply templates, a standard SLA policy)."""
