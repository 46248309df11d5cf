from shared.migrations import run_migrations

# The console's tables are plain SQL in its migrations (it has no models).
run_migrations(schema="console", target_metadata=None)
