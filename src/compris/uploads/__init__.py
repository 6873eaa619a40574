"""Files agents attach to replies: storage (content-addressed on disk), limits, signed public links."""
