"""Pure rules of notifications: no I/O."""
