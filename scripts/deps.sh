#!/usr/bin/env bash
# Installs what ferry's build and tests need on Debian bookworm: the Debian
# packages below and the Kafka jars (regress/kafka/pom.xml) in a cache
# outside the work tree. clang-tidy, cppcheck and clang-format serve
# `make lint` and `make format-check`; groff-base checks the man pages
# (003_docs.pl); postgresql-15 runs the extension's tests (its
# postgresql-server-dev-15 is a build need: PGXS). Idempotent: quiet and
# quick when all is in place.
# With --build, only what compiling ferryd and ferry needs (`make install`):
# no JDK, no test tools, no Kafka jars.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build_only=0
case "${1:-}" in
  --build) build_only=1 ;;
  "") ;;
  *) echo "deps.sh: unknown argument '$1' (expected --build or nothing)" >&2; exit 2 ;;
esac

pkgs=(
  build-essential pkg-config
  librdkafka-dev libsqlite3-dev libssl-dev libpcre2-dev
  libsystemd-dev libjansson-dev libedit-dev libmicrohttpd-dev libxxhash-dev
  libpq-dev postgresql-server-dev-15
)
if ((!build_only)); then
  pkgs+=(
    sqlite3 perl libipc-run-perl libio-pty-perl
    python3-prometheus-client
    default-jdk-headless maven
    util-linux procps openssl groff-base
    postgresql-15
    clang-tidy cppcheck clang-format
  )
fi

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

if ((build_only)); then exit 0; fi
exec "$here/regress/fetch-kafka.sh"
