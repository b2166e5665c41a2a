#!/usr/bin/env bash
# Install the Debian packages Sotto needs to build and test, only those missing.
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang libssl-dev libsqlite3-dev sqlite3
      libmicrohttpd-dev libgnutls28-dev liburing-dev libsrtp2-dev openssl sip-tester socat stunnel4 baresip-core tshark
      procps iproute2 python3 curl jq chromium)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
