#!/usr/bin/env bash
# Installs what ferry's build and tests need on Debian bookworm: the Debian
# packages below and the Kafka jars (regress/kafka/pom.xml) in a cache
# outside the work tree. Idempotent: quiet and quick when all is in place.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

pkgs=(
  build-essential pkg-config
  librdkafka-dev libsqlite3-dev sqlite3 libssl-dev libpcre2-dev
  libsystemd-dev libjansson-dev libedit-dev
  perl libipc-run-perl libio-pty-perl
  libmicrohttpd-dev libxxhash-dev python3-prometheus-client
  default-jdk-headless maven
  util-linux procps openssl
)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  sudo=
  if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

exec "$here/regress/fetch-kafka.sh"
