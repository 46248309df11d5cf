#!/bin/sh
# The official nginx image's template step: only variables set in the environment are
# replaced, so nginx's own lower-case $variables stay as they are.
set -eu
defined=$(printf '${%s} ' $(env | cut -d= -f1))
for template in /etc/nginx/templates/*.template; do
  [ -e "$template" ] || continue
  name=$(basename "$template" .template)
  envsubst "$defined" < "$template" > "/etc/nginx/conf.d/$name"
done
exec "$@"
