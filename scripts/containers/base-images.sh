#!/usr/bin/env bash
# The images the platform's containers start from, made from Debian bookworm's packages where
# no registry can be reached (podman): a Debian root file system (mmdebstrap), then Python
# 3.11, PostgreSQL, RabbitMQ, nginx and Prometheus images on top of it. An image that exists
# is kept while the files it was made from are the same: `--force` makes them all anew.
#
#   scripts/containers/base-images.sh [--force]
#
# Prints nothing else but what it builds; the image names are in images.env.
set -euo pipefail
cd "$(dirname "$0")"
source ./engine.sh
source ./images.env
force=${1:-}

build_debian() {
  if [ "$force" != --force ] && image_exists "$DEBIAN_IMAGE"; then
    return
  fi
  command -v mmdebstrap >/dev/null || { echo "install mmdebstrap (apt-get install mmdebstrap)" >&2; exit 1; }
  local rootfs
  rootfs="$(mktemp -d)/rootfs.tar"
  echo "== $DEBIAN_IMAGE: Debian bookworm (minbase) with mmdebstrap"
  mmdebstrap --quiet --variant=minbase --include=ca-certificates \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    bookworm "$rootfs" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main"
  "$ENGINE" import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' "$rootfs" "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$(dirname "$rootfs")"
}

# The hash of what an image is made from (its Containerfile and the files beside it that
# share its name): an image made from other files is made anew.
recipe() {  # name
  cat "base/$1.Containerfile" base/"$1"[-.]* 2>/dev/null | sha256sum | cut -c1-16
}

build_on_debian() {  # image, name
  local wanted
  wanted="$(recipe "$2")"
  if [ "$force" != --force ] && image_exists "$1" && [ "$("$ENGINE" image inspect \
      --format '{{index .Config.Labels "volunteering.recipe"}}' "$1")" = "$wanted" ]; then
    return
  fi
  echo "== $1 from base/$2.Containerfile"
  "$ENGINE" build --quiet --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE" \
    --label "volunteering.recipe=$wanted" -f "base/$2.Containerfile" -t "$1" base >/dev/null
}

build_debian
build_on_debian "$LOCAL_PYTHON_IMAGE" python
build_on_debian "$LOCAL_POSTGRES_IMAGE" postgres
build_on_debian "$LOCAL_RABBITMQ_IMAGE" rabbitmq
build_on_debian "$LOCAL_NGINX_IMAGE" nginx
build_on_debian "$LOCAL_PROMETHEUS_IMAGE" prometheus
