#!/usr/bin/env bash
# Debian packages CrossTrust and its tests need beyond Python: a TrueType CJK font (WenQuanYi Zen Hei)
# that label sheets embed and pages render with, Chromium's headless shell for the browser tests,
# poppler-utils to read generated PDFs back, zbar-tools to decode their QR codes, node to run GS1's
# Digital Link toolkit and resolver test suite, PHP (with curl) for that suite's helper, curl and jq for
# the README's walk-through. Installs only what is missing.
#   scripts/system-deps.sh run    what the server needs (the font)
#   scripts/system-deps.sh test   that, plus what the tests need
set -euo pipefail
need=()
fc-list :fontformat=TrueType family 2>/dev/null | grep -q "WenQuanYi Zen Hei" || need+=(fonts-wqy-zenhei)
if [ "${1:-test}" = "test" ]; then
  # Debian's Chromium built as the headless shell (tests/e2e/conftest.py says why not the full browser).
  command -v chromium-headless-shell >/dev/null 2>&1 || need+=(chromium-headless-shell)
  command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
  # zbar reads whole label-sheet pages back in tests/traceability/test_label_pages.py.
  command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
  # GS1's Digital Link toolkit (JavaScript) checks the resolver in tests/traceability.
  command -v node >/dev/null 2>&1 || need+=(nodejs)
  command -v npm >/dev/null 2>&1 || need+=(npm)
  # GS1's resolver conformance test suite: its helper (tester.php) makes the requests with curl.
  command -v php >/dev/null 2>&1 || need+=(php-cli)
  # (grep -q would close the pipe early: under pipefail php's SIGPIPE read as "no curl", every run.)
  php -m 2>/dev/null | grep -x curl >/dev/null || need+=(php-curl)
  # The README's walk-through is run by a test as written: curl and jq.
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v jq >/dev/null 2>&1 || need+=(jq)
  # Go builds tests/translog/vectors (Go's own sumdb/tlog and note, vendored) to check the transparency log.
  command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || need+=(golang-go)
fi
# Go older than the vectors' go.mod wants (Debian 12's golang-go is 1.19, which cannot fetch a newer
# toolchain itself): fetch that toolchain from the Go module proxy into var/go, where the tests look.
go_toolchain() {
  local want have go
  want=$(awk '$1 == "go" {print $2}' "$(dirname "$0")/../tests/translog/vectors/go.mod")
  go=$(command -v go || echo /usr/local/go/bin/go)
  [ -x "$go" ] || return 0
  have=$("$go" env GOVERSION 2>/dev/null | sed 's/^go//')
  [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -1)" = "$want" ] && return 0
  local dir; dir="$(dirname "$0")/../var/go"
  [ -x "$dir/bin/go" ] && return 0
  echo "Go $have is older than $want: fetching go$want from proxy.golang.org into var/go" >&2
  python3 - "$want" "$dir" <<'PY'
import io, os, shutil, sys, urllib.request, zipfile
want, dest = sys.argv[1], sys.argv[2]
mod = f"v0.0.1-go{want}.linux-amd64"
url = f"https://proxy.golang.org/golang.org/toolchain/@v/{mod}.zip"
data = urllib.request.urlopen(url, timeout=300).read()
prefix = f"golang.org/toolchain@{mod}/"
tmp = dest + ".part"
shutil.rmtree(tmp, ignore_errors=True)
with zipfile.ZipFile(io.BytesIO(data)) as z:
    for info in z.infolist():
        if not info.filename.startswith(prefix) or info.is_dir():
            continue
        path = os.path.join(tmp, info.filename[len(prefix):])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with z.open(info) as src, open(path, "wb") as out:
            shutil.copyfileobj(src, out)
        os.chmod(path, (info.external_attr >> 16) & 0o777 or 0o644)
os.replace(tmp, dest)
PY
}
if [ ${#need[@]} -eq 0 ]; then
  [ "${1:-test}" = "test" ] && go_toolchain
  exit 0
fi
echo "installing Debian packages: ${need[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
[ "${1:-test}" = "test" ] && go_toolchain
exit 0
