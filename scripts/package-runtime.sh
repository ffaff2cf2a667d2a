#!/usr/bin/env bash
# Assembles a production copy of Vibariant in the directory given: the built server, dashboard
# and SDK (run `npm run build` first) with the server's production dependencies only. The Docker
# image is this directory; the chaos tests start the server from it the same way.
#   usage: scripts/package-runtime.sh <output directory>
set -euo pipefail
out="${1:?usage: scripts/package-runtime.sh <output directory>}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
for built in server/dist/main.js client/dist/index.html sdk/dist/vibariant.global.js; do
  [ -f "$built" ] || { echo "missing $built: run npm run build first" >&2; exit 1; }
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"
# npm ci checks the lock against every workspace's manifest.
cp package.json package-lock.json "$out/"
for workspace in $(node -p "require('./package.json').workspaces.join(' ')"); do
  mkdir -p "$out/$workspace"
  cp "$workspace/package.json" "$out/$workspace/"
done
for dist in server/dist client/dist sdk/dist; do
  rm -rf "${out:?}/$dist"
  cp -R "$dist" "$out/$dist"
done
cd "$out"
npm ci --omit=dev --workspace @vibariant/server --no-audit --no-fund --loglevel=error
