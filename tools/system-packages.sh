#!/usr/bin/env bash
# The Debian packages the test suite needs beyond Python: a C compiler (durable_rules builds from
# source), Chromium (browser tests), PostgreSQL's server (storage tests start their own),
# poppler (reads PDF exports back) and WeasyPrint's libraries. Installs what is missing when it
# can (root with apt-get); otherwise says exactly what to install and stops.
set -euo pipefail
packages=()
command -v gcc >/dev/null || packages+=(gcc libc6-dev)
[ -x /usr/bin/chromium ] || packages+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || packages+=(postgresql)
command -v pdftotext >/dev/null || packages+=(poppler-utils)
for package in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; do
  dpkg -s "$package" >/dev/null 2>&1 || packages+=("$package")
done
[ ${#packages[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}"
else
  echo "The test suite needs these Debian packages: sudo apt-get install ${packages[*]}" >&2
  exit 1
fi
