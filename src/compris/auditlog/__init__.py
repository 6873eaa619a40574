"""The audit log (issue 19): every action of a person or of the system, written from the domain events with who,
when and from where, before/after for settings, sealed into a per-workspace hash chain (tamper-evident),
searchable, exportable and kept per the workspace's retention."""
