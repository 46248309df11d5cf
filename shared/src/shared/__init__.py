"""Building blocks that every service of the platform uses the same way."""
