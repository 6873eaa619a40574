"""Personal data (issue 19): a contact's data exported as an archive or erased everywhere (with a record that it
happened), the platforms' deletion callbacks, and the workspace's retention periods applied daily."""
