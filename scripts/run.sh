#!/usr/bin/env bash
# `make run`: the whole platform as local processes, stopped together with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
# shellcheck disable=SC1091
[ -f .infra.env ] && source .infra.env
# Development mode: the local defaults below are allowed here and nowhere else.
export ENVIRONMENT=development
export POSTGRES_ADMIN_URL="${POSTGRES_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
export DEV_AUTH_SECRET="${DEV_AUTH_SECRET:-local-development-secret-not-for-production}"
scripts/infra.sh tools nginx

# Development sign-in: the console's local issuer signs staff and volunteer tokens with a
# key made here on the first run (kept in .run/, never committed); the services verify them
# with its public half. Keycloak takes this role in docker-compose.
DEV_KEY=.run/dev-issuer-key.pem
DEV_PUBLIC_KEY=$("$PY" -m shared.auth --dev-key "$DEV_KEY")
export CONSOLE_DEV_SIGN_IN=true
export CONSOLE_DEV_SIGNING_KEY_FILE="$DEV_KEY"
export CONSOLE_VOLUNTEER_SIGNING_KEY_FILE="$DEV_KEY"
export CONSOLE_SESSION_SECRET="${CONSOLE_SESSION_SECRET:-local-development-session-secret}"
export CONSOLE_LOG_JSON="${LOG_JSON:-false}"

for service in registry matching notifications reporting; do
  prefix=$(echo "$service" | tr '[:lower:]' '[:upper:]')
  export "${prefix}_AUTH_PUBLIC_KEY=$DEV_PUBLIC_KEY"
  export "${prefix}_AUTH_VOLUNTEER_PUBLIC_KEY=$DEV_PUBLIC_KEY"
  # Development only: also tokens signed with a shared secret (see `make token`).
  secret_var="${prefix}_AUTH_SHARED_SECRET"
  export "$secret_var=${!secret_var:-$DEV_AUTH_SECRET}"
  export "${prefix}_LOG_JSON=${LOG_JSON:-false}"
done

# Traces go to a local OpenTelemetry Collector when one answers on its OTLP/HTTP port
# (`docker compose up -d otel-collector jaeger`); without one nothing is traced.
if [ -z "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ] && (exec 3<>/dev/tcp/127.0.0.1/4318) 2>/dev/null; then
  export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318
fi
if [ -n "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ]; then
  TRACES="sent to $OTEL_EXPORTER_OTLP_ENDPOINT (Jaeger, if it runs: http://127.0.0.1:16686)"
else
  TRACES="off: no collector on 127.0.0.1:4318 (docker compose up -d otel-collector jaeger)"
fi

"$PY" -m shared.bootstrap --admin-url "$POSTGRES_ADMIN_URL"
for service in registry matching notifications reporting; do
  "$PY" -m "$service" migrate >/dev/null
  echo "migrations of $service applied"
done
"$PY" -m console migrate >/dev/null
echo "migrations of console applied"

cat <<TXT

  staff console  http://127.0.0.1:8080   (the gateway; development sign-in lists the demo users)
  APIs           http://127.0.0.1:8080/api/{registry,matching,notifications,reporting}/v1/...
  registry       http://127.0.0.1:8001   (health: /health/ready, API docs: /docs)
  matching       http://127.0.0.1:8002
  notifications  http://127.0.0.1:8003
  reporting      http://127.0.0.1:8004
  console        http://127.0.0.1:8005   (directly, without the gateway)
  RabbitMQ UI    http://127.0.0.1:15672 (if the management plugin is on)
  Mail and SMS   caught locally by "providers" (printed below; SMTP :1025, SMS API :9090)
  Traces         $TRACES
  Metrics        /metrics of each service and the console (Prometheus format)

  A development token:  make token ROLE=city_admin
  Publish an event:     see README.md, "Publishing an inbound event by hand"
  Stop everything:      Ctrl-C

TXT
if [ "${SEED:-0}" = 1 ]; then
  # The demo programme, once every service answers: registry's edition and branches, then
  # matching's volunteers (through the portal's inbound contract), tasks, plan and hours.
  (
    "$PY" - <<'PY'
import time, urllib.request
for port in (8001, 8002, 8003, 8004):
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2)
            break
        except OSError:
            time.sleep(1)
PY
    "$PY" -m registry seed && "$PY" -m matching seed && echo "demo data loaded"
  ) &
fi
exec .venv/bin/honcho start -f Procfile
