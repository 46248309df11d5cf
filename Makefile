# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := python3 -m uv
UV_VERSION := 0.13.9
DEV_AUTH_SECRET ?= local-development-secret-not-for-production
export DEV_AUTH_SECRET
# `make` is a developer's tool: its targets (run, test, benchmarks, tokens) run in development
# mode, where the local defaults are allowed. Anywhere else the services refuse them.
export ENVIRONMENT ?= development

.PHONY: help install infra tools run test test-unit test-cluster lint typecheck pytest bench-bus bench-matching bench-notify bench-reporting token translations dead-letters init-sql catalogue docs seed images wheelhouse test-containers bench-http

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

install: ## install uv and exactly the locked dependencies into .venv
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --frozen

infra: ## make sure PostgreSQL and RabbitMQ answer (start them if installed but stopped)
	@scripts/infra.sh ensure

tools: ## install nginx (the gateway), Chromium (browser tests) and promtool (alert rules) from Debian's packages if missing
	@scripts/infra.sh tools nginx chromium promtool

run: install infra ## the whole platform as local processes (Ctrl-C stops it)
	@scripts/run.sh

test: install infra tools lint typecheck pytest ## the whole suite against real PostgreSQL and RabbitMQ

lint: ## ruff: the rules and the formatting
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck: ## mypy, strict, over every package, the tests and the benches
	$(UV) run --frozen mypy shared services tests bench

pytest: ## the tests only (make test also installs, lints and type-checks first)
	@# Against the compose pair that `make infra` started, where it started one.
	[ ! -f .infra.env ] || . ./.infra.env; $(UV) run --frozen pytest

test-cluster: install infra ## the three-node RabbitMQ cluster tests at full size: 5,000 registrations per run, every way a node goes, Postgres restarted (about 20 min)
	[ ! -f .infra.env ] || . ./.infra.env; CLUSTER_STREAM=$(or $(CLUSTER_STREAM),5000) CLUSTER_FULL=1 \
		$(UV) run --frozen pytest tests/cluster -s

test-unit: install tools ## every test that needs neither broker nor database, in about a minute
	$(UV) run --frozen pytest -m "not infrastructure" -q

images: ## the five application images (docker; else podman, with base images made from Debian's packages)
	@scripts/containers/images.sh

wheelhouse: ## every locked package once into wheelhouse/: then make images builds with no network
	@scripts/containers/wheelhouse.sh

test-containers: install ## make images, then start docker-compose.yml's stack and use it as a person would
	@scripts/containers/test.sh

bench-bus: install infra ## events per second through outbox, broker and inbox vs a lean aio-pika+asyncpg pipeline (BUS_CLUSTER=3: on a three-node RabbitMQ cluster)
	$(UV) run --frozen python -m bench.bus $(if $(BUS_CLUSTER),--cluster $(BUS_CLUSTER))

bench-matching: install infra ## the batch plan over 50,000 volunteers and 10,000 tasks; one task's ranking in memory and over HTTP
	$(UV) run --frozen python -m bench.matching

bench-notify: install infra ## 10,000 reminder emails over TLS vs a bare aiosmtplib loop: per second, duplicates
	$(UV) run --frozen python -m bench.notify

bench-http: install infra ## the busiest list endpoints through the gateway (wrk) vs a bare FastAPI+asyncpg endpoint
	@scripts/infra.sh tools nginx
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		{ echo "installing wrk (Debian package)"; apt-get install -y -qq --no-install-recommends wrk >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }; }; } || \
		echo "wrk is not installed (apt-get install wrk): the load comes from Python instead"
	$(UV) run --frozen python -m bench.http_api

bench-reporting: install infra ## reporting at scale: catch-up, live path and dashboard latency
	$(UV) run --frozen python -m reporting.bench

seed: ## load the demo programme (with `make run` going; running it again changes nothing)
	$(UV) run --frozen python -m registry seed
	$(UV) run --frozen python -m matching seed

token: ## print a development token: make token ROLE=city_admin
	@$(UV) run --frozen python -m shared.auth --role $(or $(ROLE),city_admin) --secret "$(DEV_AUTH_SECRET)"

translations: ## update the console's and notifications' gettext catalogues from the code and list texts without a translation
	$(UV) run --frozen python -m console.catalogues update
	$(UV) run --frozen python -m notifications.catalogues update

dead-letters: ## list a service's dead letters: make dead-letters SERVICE=matching
	$(UV) run --frozen python -m shared.deadletters list --service $(or $(SERVICE),matching)

init-sql: ## regenerate deploy/postgres/init.sql from shared.bootstrap
	$(UV) run --frozen python -m shared.bootstrap --print-sql > deploy/postgres/init.sql

catalogue: ## regenerate the AsyncAPI event catalogue docs/asyncapi.json from the code
	$(UV) run --frozen python -m shared.catalogue > docs/asyncapi.json

docs: ## regenerate every generated doc: the event catalogue, docs/openapi/*.json, the tables and diagram in docs/*.md
	$(UV) run --frozen python -m shared.docs
