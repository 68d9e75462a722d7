"""classifications."""
