#!/usr/bin/env bash
# Installs everything the project needs to build, test and benchmark, from Debian's archive.
# Idempotent: packages already present are left alone and apt is not touched at all.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config file
  libboost1.81-dev libssl-dev libsqlite3-dev libspdlog-dev libfmt-dev libcli11-dev
  libyaml-cpp-dev libc-ares-dev libexpat1-dev googletest libgtest-dev libgmock-dev libbenchmark-dev
  busybox-static clang-format clang-tidy util-linux procps python3 ca-certificates
  skopeo docker-registry tzdata libarchive-dev runc
  docker.io sqlite3
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
