from registry.tables import metadata
from shared.migrations import run_migrations

run_migrations(schema="registry", target_metadata=metadata)
