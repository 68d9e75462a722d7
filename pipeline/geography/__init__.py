"""Region geography: boundaries and contiguity."""
