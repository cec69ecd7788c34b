#!/usr/bin/env bash
# Installs what building and testing withy needs, when run as root and
# something is missing (idempotent; Debian 12). As a normal user it only
# checks and says what is missing.
set -u
pkgs=(check libsubunit-dev pkg-config libreadline-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "withy: missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends --no-upgrade "${missing[@]}" </dev/null >/dev/null
