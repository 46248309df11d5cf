# Sourced by the container scripts: picks the engine and says what is missing.
#   ENGINE   docker where a Docker engine answers, else podman
#   COMPOSE  `docker compose`, or podman-compose (PyPI's, run by uv)
# With podman, CONTAINERS_CONF names this folder's containers.conf (runc, no default ulimits).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -z "${ENGINE:-}" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    ENGINE=docker
  elif command -v podman >/dev/null 2>&1; then
    ENGINE=podman
  else
    cat >&2 <<'MSG'
No container engine: neither a running Docker engine nor podman.
Install podman (Debian/Ubuntu, as root):
  apt-get install podman runc aardvark-dns mmdebstrap
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
      echo "podman needs $tool: apt-get install podman runc aardvark-dns mmdebstrap" >&2
      exit 1
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
