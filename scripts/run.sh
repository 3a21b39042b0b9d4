#!/usr/bin/env bash
# Runs a root script with a Node.js new enough for kbackup (>= 22.15) and the pinned pnpm.
# When the machine's Node is older, Node 24 comes from the npm registry's `node` package
# into .tools/, so `npm test` and `npm run demo` work on a machine that only has Node and npm.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$root/package.json")"

node_is_new_enough() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=15)?0:1)'
}

if [ -x "$tools/node_modules/.bin/node" ]; then
  export PATH="$tools/node_modules/.bin:$PATH"
fi
if ! node_is_new_enough; then
  echo "kbackup: Node $(node --version 2>/dev/null || echo none) is older than 22.15; installing Node 24 into .tools/" >&2
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error node@24 >&2
  export PATH="$tools/node_modules/.bin:$PATH"
  node_is_new_enough || { echo "kbackup: could not provide Node >= 22.15" >&2; exit 1; }
fi

if [ ! -x "$tools/pnpm/node_modules/.bin/pnpm" ] || [ "$("$tools/pnpm/node_modules/.bin/pnpm" --version)" != "$pnpm_version" ]; then
  mkdir -p "$tools/pnpm"
  npm install --prefix "$tools/pnpm" --no-save --no-audit --no-fund --loglevel=error "pnpm@$pnpm_version" >&2
fi
export PATH="$tools/pnpm/node_modules/.bin:$PATH"
export COREPACK_ENABLE_STRICT=0

cd "$root"
if [ -f pnpm-lock.yaml ]; then
  pnpm install --frozen-lockfile --reporter=silent
else
  pnpm install --reporter=silent
fi
exec pnpm run "$@"
