#!/usr/bin/env bash
# `make test-containers`: the images (scripts/containers/images.sh), then the stack from
# docker-compose.yml started and used as a person would (tests/containers/stack.py), removed
# at the end whatever happened. Prints how long each part took.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/containers/engine.sh
began=$SECONDS
scripts/containers/images.sh
built=$SECONDS
status=0
python3 -m uv run --frozen pytest -p no:cacheprovider -o timeout=900 \
  -s -v tests/containers/stack.py || status=$?
echo "containers: images $((built - began)) s, stack and checks $((SECONDS - built)) s, in all $((SECONDS - began)) s ($ENGINE)"
exit $status
