# syntax=docker/dockerfile:1
# The image of one application: registry, matching, notifications, reporting or console.
# Build from the repository root (the context needs shared/ and uv.lock), naming the
# application with SERVICE (required):
#   docker build --build-arg SERVICE=registry -t volunteering/registry .
# The four services run `python -m <service>` (HTTP API + consumer + outbox relay);
# `python -m <service> migrate` applies its migrations and exits. The console runs
# `python -m console` (server-rendered pages; no database, no broker).
#
# The base image is a build arg too, PYTHON_IMAGE (python:3.11-slim by default); where no
# registry can be reached, scripts/containers/base-images.sh makes one from Debian's
# packages. Install steps take a CA bundle as the build secret `ca` (for a TLS-intercepting
# proxy; it never reaches a layer) and, when `make wheelhouse` has filled wheelhouse/, fetch
# nothing at all:
#   docker build --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt --build-arg SERVICE=registry .
#
# The build and the runtime steps are the same for all of them and take SERVICE as an
# argument. What differs per application - its env prefix and port, its HEALTHCHECK and CMD
# (Docker substitutes no variables in these two) - is one short stage each at the end,
# `service-<name>`; the last line makes the image of the one SERVICE names.

ARG PYTHON_IMAGE=python:3.11-slim
ARG SERVICE

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
# The one script every install step runs under (CA secret, wheelhouse), and the pinned build
# backend of the workspace packages.
COPY scripts/containers/install-env.sh /usr/local/bin/install-env
COPY scripts/containers/build-constraints.txt /usr/local/share/build-constraints.txt
RUN --mount=type=secret,id=ca \
    --mount=type=bind,source=wheelhouse,target=/wheelhouse \
    install-env pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_BUILD_CONSTRAINT=/usr/local/share/build-constraints.txt
WORKDIR /src
# Every workspace member's manifest: uv resolves the workspace from them and the lock.
# Third-party dependencies get a layer of their own, rebuilt only when these files change.
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/
COPY services/registry/pyproject.toml services/registry/
COPY services/matching/pyproject.toml services/matching/
COPY services/notifications/pyproject.toml services/notifications/
COPY services/reporting/pyproject.toml services/reporting/
COPY services/console/pyproject.toml services/console/
# Declared here, not earlier: the steps above stay one cached layer for every application.
ARG SERVICE
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=secret,id=ca \
    --mount=type=bind,source=wheelhouse,target=/wheelhouse,rw \
    install-env uv sync --frozen --no-dev --package ${SERVICE} --no-install-workspace
# Then the code: shared and this application only, installed as wheels (not editable;
# the console's templates and static files travel inside its package) so the runtime
# image needs nothing but the virtual environment.
COPY shared/src shared/src
COPY services/${SERVICE}/src services/${SERVICE}/src
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=secret,id=ca \
    --mount=type=bind,source=wheelhouse,target=/wheelhouse,rw \
    install-env uv sync --frozen --no-dev --package ${SERVICE} --no-editable

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# /keys belongs to the app user: a volume mounted there (docker-compose's issuer-keys) starts
# with the mount point's owner, so the console's key can be written with a read-only root.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app \
    && install -d -o 10001 -g 10001 -m 0700 /keys
COPY --from=build /app/.venv /app/.venv
WORKDIR /app
USER 10001:10001

FROM runtime AS service-registry
ENV REGISTRY_HTTP_HOST=0.0.0.0 \
    REGISTRY_HTTP_PORT=8001
EXPOSE 8001
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('REGISTRY_HTTP_PORT', '8001') + '/health/live', timeout=4)"]
CMD ["python", "-m", "registry"]

FROM runtime AS service-matching
ENV MATCHING_HTTP_HOST=0.0.0.0 \
    MATCHING_HTTP_PORT=8002
EXPOSE 8002
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('MATCHING_HTTP_PORT', '8002') + '/health/live', timeout=4)"]
CMD ["python", "-m", "matching"]

FROM runtime AS service-notifications
ENV NOTIFICATIONS_HTTP_HOST=0.0.0.0 \
    NOTIFICATIONS_HTTP_PORT=8003
EXPOSE 8003
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('NOTIFICATIONS_HTTP_PORT', '8003') + '/health/live', timeout=4)"]
CMD ["python", "-m", "notifications"]

FROM runtime AS service-reporting
ENV REPORTING_HTTP_HOST=0.0.0.0 \
    REPORTING_HTTP_PORT=8004
EXPOSE 8004
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('REPORTING_HTTP_PORT', '8004') + '/health/live', timeout=4)"]
CMD ["python", "-m", "reporting"]

# The development issuer stays off here: sign-in goes to Keycloak (CONSOLE_OIDC_ISSUER).
FROM runtime AS service-console
ENV CONSOLE_HTTP_HOST=0.0.0.0 \
    CONSOLE_HTTP_PORT=8005 \
    CONSOLE_DEV_SIGN_IN=false
EXPOSE 8005
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('CONSOLE_HTTP_PORT', '8005') + '/health/live', timeout=4)"]
CMD ["python", "-m", "console"]

# The image: the stage of the application SERVICE names (without SERVICE there is no such
# stage, and the build stops here).
FROM service-${SERVICE}
