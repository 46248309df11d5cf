from notifications.tables import metadata
from shared.migrations import run_migrations

run_migrations(schema="notifications", target_metadata=metadata)
