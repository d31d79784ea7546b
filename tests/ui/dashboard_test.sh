#!/usr/bin/env bash
# The dashboard in a real browser (tests/ui/dashboard.test.mjs). Needs node, npm and
# Debian's chromium (packaging/install-deps installs them for `packaging/dev test`);
# installs playwright-core from package-lock.json with `npm ci` when missing. Exits 77
# (skipped) when chromium or npm is not installed.
#
#   tests/ui/dashboard_test.sh <builddir>
# Screenshots go to $FLOWGATE_SCREENSHOTS_DIR, else <builddir>/screenshots; refresh the
# README's with FLOWGATE_SCREENSHOTS_DIR=docs/screenshots.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
builddir=$(cd "$1" && pwd)

for tool in node npm /usr/bin/chromium; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool is not installed (packaging/install-deps)"; exit 77; }
done
# The pinned version (package.json) or a fresh `npm ci` from the lock file.
installed=$(cd "$here" && node -p "try { require('./node_modules/playwright-core/package.json').version } catch { '' }")
wanted=$(cd "$here" && node -p "require('./package.json').dependencies['playwright-core']")
if [ "$installed" != "$wanted" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
shots=${FLOWGATE_SCREENSHOTS_DIR:-$builddir/screenshots}
exec node "$here/dashboard.test.mjs" "$builddir/bin/flowgate" "$builddir/plugins" "$shots"
