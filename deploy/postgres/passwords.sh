#!/usr/bin/env bash
# docker compose, first start of an empty data volume (after 10-roles-and-schemas.sql): give
# each role the password scripts/compose-env.sh generated. DB_PASSWORDS holds "role=password"
# pairs separated by spaces (passwords are URL-safe: letters, digits, '-' and '_').
set -euo pipefail
for pair in ${DB_PASSWORDS:?}; do
  role=${pair%%=*}
  password=${pair#*=}
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=role="$role" --set=password="$password" <<'SQL'
ALTER ROLE :"role" PASSWORD :'password';
SQL
done
