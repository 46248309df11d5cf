#!/bin/sh
# Runs one install step of the image build (Dockerfile, build stage).
# - A CA bundle given as the build secret `ca` (`--secret id=ca,src=...`, for a TLS-
#   intercepting proxy) is named by SSL_CERT_FILE / PIP_CERT: it stays beside the image's own
#   bundle, mounted for this step only, and is in no layer.
# - With a wheelhouse (`make wheelhouse` fills wheelhouse/ in the build context) nothing is
#   fetched: pip takes uv from its wheel, uv every locked package from its cache.
set -eu
if [ -s /run/secrets/ca ]; then
  export SSL_CERT_FILE=/run/secrets/ca PIP_CERT=/run/secrets/ca
fi
if [ -d /wheelhouse/uv-cache ]; then
  export UV_CACHE_DIR=/wheelhouse/uv-cache UV_OFFLINE=1 PIP_NO_INDEX=1 PIP_FIND_LINKS=/wheelhouse
fi
exec "$@"
