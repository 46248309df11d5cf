#!/usr/bin/env bash
# The five application images (registry, matching, notifications, reporting, console), from
# the root Dockerfile, tagged volunteering/<application>:dev as docker-compose.yml names them.
#
#   scripts/containers/images.sh [application ...]
#
# docker where a Docker engine runs, else podman. The base is python:3.11-slim when a
# registry gives it; where none can be reached, the images made from Debian's packages
# (base-images.sh: Python 3.11, and PostgreSQL, RabbitMQ and nginx for the stack).
# CA_BUNDLE (default: SSL_CERT_FILE, else the system bundle) goes to the build as the secret
# `ca`. With wheelhouse/ filled (`make wheelhouse`) the builds run without any network.
set -euo pipefail
cd "$(dirname "$0")"
source ./engine.sh
source ./images.env
root="$(cd ../.. && pwd)"
applications=("$@")
[ ${#applications[@]} -gt 0 ] || applications=(registry matching notifications reporting console)

python_image=python:3.11-slim
if ! image_exists "$python_image" && ! "$ENGINE" pull -q "$python_image" >/dev/null 2>&1; then
  echo "== no registry gives $python_image: the base images from Debian's packages"
  ./base-images.sh
  python_image="$LOCAL_PYTHON_IMAGE"
fi

args=(--build-arg "PYTHON_IMAGE=$python_image")
ca="${CA_BUNDLE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
if [ -s "$ca" ]; then
  args+=(--secret "id=ca,src=$ca")
fi
if [ -d "$root/wheelhouse/uv-cache" ]; then
  echo "== wheelhouse/ is filled: building without network"
  args+=(--network none)
fi
for application in "${applications[@]}"; do
  echo "== volunteering/$application:$APP_TAG"
  DOCKER_BUILDKIT=1 "$ENGINE" build "${args[@]}" --build-arg "SERVICE=$application" \
    -t "volunteering/$application:$APP_TAG" "$root"
done
