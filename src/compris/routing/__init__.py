"""Routing: teams, rules, assignment (round-robin, capacity, load, sticky), presence and collision."""
