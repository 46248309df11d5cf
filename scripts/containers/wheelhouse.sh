#!/usr/bin/env bash
# Fills wheelhouse/ once with everything the image build installs, so that images build with
# no network at all (scripts/containers/images.sh then passes --network none):
#   wheelhouse/uv-<version>-*.whl   uv itself, for the build's `pip install uv`
#   wheelhouse/uv-cache/            uv's cache holding every locked package of every
#                                   application (`uv sync --frozen` reads it with UV_OFFLINE)
#                                   and the pinned build backend (build-constraints.txt)
# The wheels are those of Linux x86_64 and CPython 3.11, as in the images.
set -euo pipefail
cd "$(dirname "$0")/../.."
uv_version=$(sed -n 's/^UV_VERSION := //p' Makefile)
out=wheelhouse
mkdir -p "$out"
python3 -m pip download --quiet --isolated ${SSL_CERT_FILE:+--cert "$SSL_CERT_FILE"} \
  --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
  --python-version 3.11 "uv==$uv_version" -d "$out"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The same sync as the image's, for every application at once, into a throwaway environment:
# what stays is the cache.
UV_CACHE_DIR="$PWD/$out/uv-cache" UV_PROJECT_ENVIRONMENT="$scratch/venv" UV_LINK_MODE=copy \
  UV_PYTHON_DOWNLOADS=never \
  UV_BUILD_CONSTRAINT="$PWD/scripts/containers/build-constraints.txt" \
  python3 -m uv sync --quiet --frozen --no-dev --all-packages --no-editable --python 3.11
du -sh "$out" | sed 's/^/wheelhouse: /'
