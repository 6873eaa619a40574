"""Jobs of privacy."""
