# shellcheck shell=bash
# Sourced by test-notebook-browser.sh and test-report-browser.sh (which define repo, chromium, say and die):
# Debian's Chromium (apt) and playwright-core (npm, pinned by scripts/notebook-browser/package-lock.json), each
# installed when missing. Never downloads a browser through Playwright. Sets nodedir.
if [ ! -x "$chromium" ]; then
  command -v apt-get >/dev/null || die "$chromium is missing and apt-get is not available: install Chromium and set CHROMIUM"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  say "installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q --no-install-recommends chromium || { $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends chromium; }
  [ -x "$chromium" ] || die "chromium is still missing after apt-get install"
fi
nodedir=$repo/scripts/notebook-browser
want=$(node -p 'require(process.argv[1]).dependencies["playwright-core"]' "$nodedir/package.json")
have=$(node -p 'try { require(process.argv[1]).version } catch { "" }' "$nodedir/node_modules/playwright-core/package.json" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  say "installing playwright-core $want (npm ci)"
  (cd "$nodedir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
