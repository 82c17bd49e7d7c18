#!/usr/bin/env bash
# Fetches the Kafka jars named in regress/kafka/pom.xml from Maven Central
# into $FERRY_CACHE/kafka-<version>/libs (default ~/.cache/ferry), outside
# the work tree. Prints the libs directory. Quiet when already fetched.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pom=$here/kafka/pom.xml
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")
cache=${FERRY_CACHE:-$HOME/.cache/ferry}
libs=$cache/kafka-$version/libs
stamp=$cache/kafka-$version/.complete
# the pom's checksum guards against a cache filled from an older pom
sum=$(sha256sum "$pom" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
  exit 0
fi
echo "deps: fetching Kafka $version jars from Maven Central into $libs"
rm -rf "$libs.tmp"
mkdir -p "$libs.tmp"
if ! mvn -q -B -f "$pom" dependency:copy-dependencies \
      -DoutputDirectory="$libs.tmp" -DincludeScope=runtime >"$cache/mvn.log" 2>&1; then
  echo "deps: maven failed; see $cache/mvn.log" >&2
  tail -20 "$cache/mvn.log" >&2
  exit 1
fi
rm -rf "$libs"
mv "$libs.tmp" "$libs"
echo "$sum" >"$stamp"
