# Sourced by the container scripts: picks the engine and says what is missing.
#   ENGINE   docker where a Docker engine answers, else podman
#   COMPOSE  `docker compose`, or podman-compose (PyPI's, run by uv)
# With podman, CONTAINERS_CONF names this folder's containers.conf (runc, no default ulimits).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# What podman needs here, all from Debian: runc (crun refuses hybrid cgroups), the network
# stack, and mmdebstrap for the base images.
PODMAN_PACKAGES="podman runc netavark aardvark-dns iptables mmdebstrap"

# As root on Debian/Ubuntu, podman is installed where missing (the package lists are updated
# only when the packages are not found in them).
install_podman() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  echo "== installing podman from Debian's packages: $PODMAN_PACKAGES" >&2
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    $PODMAN_PACKAGES >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends $PODMAN_PACKAGES >/dev/null
  } || return 1
  command -v podman >/dev/null 2>&1
}

if [ -z "${ENGINE:-}" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    ENGINE=docker
  elif command -v podman >/dev/null 2>&1 || install_podman; then
    ENGINE=podman
  else
    cat >&2 <<'MSG'
No container engine: neither a running Docker engine nor podman.
Install podman (Debian/Ubuntu, as root):
  apt-get install podman runc netavark aardvark-dns iptables mmdebstrap
or start Docker (with its compose plugin).
MSG
    exit 1
  fi
fi
if [ "$ENGINE" = podman ]; then
  export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
  # podman-compose from PyPI, pinned: Debian bookworm's (1.0.3) cannot create containers
  # without starting them, and mangles CMD health checks.
  COMPOSE="$(command -v python3) -m uv tool run --from podman-compose==1.6.0 podman-compose"
  for tool in runc aardvark-dns; do
    if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/lib/podman/$tool" ]; then
      install_podman || {
        echo "podman needs $tool: apt-get install $PODMAN_PACKAGES" >&2
        exit 1
      }
    fi
  done
else
  COMPOSE="docker compose"
fi
export ENGINE COMPOSE

# True when the image is in the engine's local store.
image_exists() {
  if [ "$ENGINE" = podman ]; then
    podman image exists "$1"
  else
    docker image inspect "$1" >/dev/null 2>&1
  fi
}
