from matching.tables import metadata
from shared.migrations import run_migrations

run_migrations(schema="matching", target_metadata=metadata)
