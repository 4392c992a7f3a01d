#!/usr/bin/env bash
# Debian packages CrossTrust and its tests need beyond Python: a TrueType CJK font (WenQuanYi Zen Hei)
# that label sheets embed and pages render with, Chromium for the browser tests, poppler-utils to
# read generated PDFs back, zbar-tools to decode their QR codes, node to run GS1's Digital Link toolkit
# and resolver test suite, PHP (with curl) for that suite's helper, curl and jq for the README's
# walk-through. Installs only what is missing.
#   scripts/system-deps.sh run    what the server needs (the font)
#   scripts/system-deps.sh test   that, plus what the tests need
set -euo pipefail
need=()
fc-list :fontformat=TrueType family 2>/dev/null | grep -q "WenQuanYi Zen Hei" || need+=(fonts-wqy-zenhei)
if [ "${1:-test}" = "test" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
  # zbar reads whole label-sheet pages back in tests/traceability/test_label_pages.py.
  command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
  # GS1's Digital Link toolkit (JavaScript) checks the resolver in tests/traceability.
  command -v node >/dev/null 2>&1 || need+=(nodejs)
  command -v npm >/dev/null 2>&1 || need+=(npm)
  # GS1's resolver conformance test suite: its helper (tester.php) makes the requests with curl.
  command -v php >/dev/null 2>&1 || need+=(php-cli)
  php -m 2>/dev/null | grep -qx curl || need+=(php-curl)
  # The README's walk-through is run by a test as written: curl and jq.
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v jq >/dev/null 2>&1 || need+=(jq)
  # Go builds tests/translog/vectors (Go's own sumdb/tlog and note, vendored) to check the transparency log.
  command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || need+=(golang-go)
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${need[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
