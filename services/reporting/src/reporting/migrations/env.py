from reporting.tables import metadata
from shared.migrations import run_migrations

run_migrations(schema="reporting", target_metadata=metadata)
