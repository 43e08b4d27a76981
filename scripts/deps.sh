#!/bin/sh
# Installs the Debian packages listed in deps/debian-packages.txt that are missing.
# Idempotent, and a fast no-op when everything is present.
set -eu
list="$(dirname "$0")/../deps/debian-packages.txt"
missing=""
for pkg in $(sed -e 's/#.*//' "$list"); do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
