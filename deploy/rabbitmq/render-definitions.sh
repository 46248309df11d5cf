#!/usr/bin/env bash
# docker compose, the broker's entrypoint: definitions.json with each user's password hash
# put in, then RabbitMQ's own entrypoint. BROKER_PASSWORD_HASHES holds "user=hash" pairs
# separated by spaces, made by scripts/compose-env.sh (deploy/rabbitmq/password_hash.py)
# from generated passwords; the committed file carries a placeholder "@user@" instead.
set -euo pipefail
source=/etc/rabbitmq/definitions.template.json
target=/var/lib/rabbitmq/definitions.json
rendered=$(cat "$source")
for pair in ${BROKER_PASSWORD_HASHES:?}; do
  user=${pair%%=*}
  hash=${pair#*=}
  rendered=${rendered//\"@${user}@\"/\"${hash}\"}
done
if grep -q '"password_hash": "@' <<<"$rendered"; then
  echo "render-definitions: a broker user has no password hash in BROKER_PASSWORD_HASHES" >&2
  exit 1
fi
umask 077
printf '%s\n' "$rendered" >"$target"
chown rabbitmq:rabbitmq "$target" 2>/dev/null || true
exec docker-entrypoint.sh "$@"
