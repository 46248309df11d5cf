#!/usr/bin/env bash
# Make sure PostgreSQL and RabbitMQ answer on this machine.
#   scripts/infra.sh ensure   start them if installed but stopped; else Docker; else say what to install
#   scripts/infra.sh tools nginx [chromium] [promtool]
#                             install the gateway's nginx, the browser tests' Chromium and the
#                             alert rules' promtool from Debian's packages when missing (as
#                             root; else say what to install)
set -euo pipefail

PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
AMQP_HOST="${AMQP_HOST:-127.0.0.1}"
AMQP_PORT="${AMQP_PORT:-5672}"
MANAGEMENT_PORT="${MANAGEMENT_PORT:-15672}"

answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() { # host port seconds what
  for _ in $(seq "$3"); do answers "$1" "$2" && return 0; sleep 1; done
  echo "error: $4 did not answer on $1:$2 within $3 s" >&2; return 1
}

docker_runs() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

# Containers from docker-compose.yml have their own credentials (generated into .env by
# scripts/compose-env.sh): tell scripts/run.sh and the tests (make pytest reads this file).
INFRA_ENV=.infra.env

compose_secret() { sed -n "s/^$1=//p" .env | tr -d '"'; }

compose_runs() { docker_runs && [ -n "$(docker compose ps --status running -q "$1" 2>/dev/null)" ]; }

# Whenever the pair is compose's (started now or by an earlier run), say how to reach it.
record_compose_credentials() {
  if compose_runs postgres; then
    admin_url="postgresql://postgres:$(compose_secret POSTGRES_PASSWORD)@127.0.0.1:5432/postgres"
    echo "export POSTGRES_ADMIN_URL=$admin_url" >>"$INFRA_ENV"
    echo "export TEST_POSTGRES_ADMIN_URL=$admin_url" >>"$INFRA_ENV"
  fi
  if compose_runs rabbitmq; then
    # The operator may declare the shared topology and make the tests' virtual hosts.
    operator="operator:$(compose_secret OPERATOR_BROKER_PASSWORD)"
    for service in registry matching notifications reporting; do
      prefix=$(echo "$service" | tr '[:lower:]' '[:upper:]')
      echo "export ${prefix}_AMQP_URL=amqp://$operator@127.0.0.1:5672/" >>"$INFRA_ENV"
    done
    echo "export TEST_AMQP_URL=amqp://$operator@127.0.0.1:5672/" >>"$INFRA_ENV"
    echo "export TEST_RABBITMQ_MANAGEMENT_URL=http://$operator@127.0.0.1:15672" >>"$INFRA_ENV"
  fi
  return 0
}

ensure_postgres() {
  answers "$PGHOST" "$PGPORT" && return 0
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "starting PostgreSQL $version (pg_ctlcluster)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  elif docker_runs; then
    echo "starting PostgreSQL from docker-compose.yml"
    [ -f .env ] || scripts/compose-env.sh >/dev/null
    docker compose up -d postgres
  else
    cat >&2 <<MSG
error: PostgreSQL does not answer on $PGHOST:$PGPORT, and neither a local installation
nor a Docker engine was found. Install one of them, for example on Debian:
    apt-get install postgresql        (then: pg_ctlcluster --skip-systemctl-redirect <version> main start)
or install Docker and run this again, or set PGHOST/PGPORT to a running server.
MSG
    return 1
  fi
  wait_for "$PGHOST" "$PGPORT" 60 PostgreSQL
}

ensure_rabbitmq() {
  if ! answers "$AMQP_HOST" "$AMQP_PORT"; then
    if command -v rabbitmq-server >/dev/null 2>&1; then
      echo "starting RabbitMQ (rabbitmq-server -detached)"
      rabbitmq-server -detached
    elif docker_runs; then
      echo "starting RabbitMQ from docker-compose.yml"
      [ -f .env ] || scripts/compose-env.sh >/dev/null
      docker compose up -d rabbitmq
    else
      cat >&2 <<MSG
error: RabbitMQ does not answer on $AMQP_HOST:$AMQP_PORT, and neither a local installation
nor a Docker engine was found. Install one of them, for example on Debian:
    apt-get install rabbitmq-server   (then: rabbitmq-server -detached)
or install Docker and run this again, or set AMQP_HOST/AMQP_PORT to a running broker.
MSG
      return 1
    fi
    wait_for "$AMQP_HOST" "$AMQP_PORT" 90 RabbitMQ
  fi
  # The management API lets tests give each test its own virtual host.
  if ! answers "$AMQP_HOST" "$MANAGEMENT_PORT" && command -v rabbitmq-plugins >/dev/null 2>&1; then
    for _ in $(seq 30); do rabbitmq-plugins enable rabbitmq_management >/dev/null 2>&1 && break; sleep 2; done
    wait_for "$AMQP_HOST" "$MANAGEMENT_PORT" 60 "RabbitMQ management"
  fi
}

# tool -> (commands that provide it, looked up on the PATH; Debian package)
declare -A TOOL_COMMANDS=([nginx]="nginx" [chromium]="chromium chromium-browser google-chrome" [promtool]="promtool")
declare -A TOOL_PACKAGE=([nginx]=nginx-light [chromium]=chromium [promtool]=prometheus)

# nginx lives in sbin, which an ordinary user's PATH may lack.
found_on_path() {
  local command
  for command in $1; do
    PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v "$command" >/dev/null 2>&1 && return 0
  done
  return 1
}

ensure_tools() {
  local missing=()
  for tool in "$@"; do
    # A browser Playwright installed itself does as well as the system's.
    if [ "$tool" = chromium ] && [ -n "${CHROMIUM:-}" ] && [ -x "$CHROMIUM" ]; then continue; fi
    found_on_path "${TOOL_COMMANDS[$tool]}" || missing+=("${TOOL_PACKAGE[$tool]}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} (Debian packages)"
    # The package index may be missing or stale on a fresh machine.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    }
    # Debian starts its own nginx on port 80; the platform runs its gateway itself.
    if [[ " ${missing[*]} " == *" nginx-light "* ]]; then
      (service nginx stop || nginx -s stop) >/dev/null 2>&1 || true
    fi
    # Only promtool is wanted from Debian's prometheus: its server may start with it.
    if [[ " ${missing[*]} " == *" prometheus "* ]]; then
      service prometheus stop >/dev/null 2>&1 || true
    fi
  elif command -v apt-get >/dev/null 2>&1; then
    echo "error: missing ${missing[*]}; install with: sudo apt-get install ${missing[*]}" >&2
    return 1
  else
    cat >&2 <<MSG
error: missing ${missing[*]}. Install nginx, Chromium (or Chrome) and Prometheus' promtool
with this system's package manager (for example: brew install nginx prometheus; brew
install --cask chromium), or let Playwright fetch its own browser (uv run playwright
install chromium) and point CHROMIUM at it. They only need to be on the PATH.
MSG
    return 1
  fi
}

case "${1:-ensure}" in
  ensure) rm -f "$INFRA_ENV"; ensure_postgres && ensure_rabbitmq && record_compose_credentials ;;
  tools) shift; ensure_tools "$@" ;;
  *) echo "usage: $0 ensure | tools nginx [chromium] [promtool]" >&2; exit 2 ;;
esac
