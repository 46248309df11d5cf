#!/bin/sh
# The official rabbitmq image's entrypoint, the part docker-compose.yml relies on (its
# render-definitions.sh ends in `exec docker-entrypoint.sh rabbitmq-server`): the server runs
# in the foreground as the rabbitmq user, logging to stdout.
set -eu
if [ "${1:-}" = rabbitmq-server ]; then
  shift
  set -- /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
fi
exec "$@"
