"""Jobs of the audit log."""
