#!/usr/bin/env bash
# Measures what each deployment in docs/deployments.md puts on the module path: builds this
# checkout (tests skipped), asks Maven for each protorpc module's runtime class path, and sums
# the sizes of the jars a deployment needs: protorpc's from their target/ directories, third-party
# ones from the local Maven repository. A deployment whose modules are not in this checkout is
# reported as "not built". Prints Markdown, ready for docs/deployments.md.
#
# Usage: docs/measure-deployments.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CLASSPATH_FILE=target/runtime-classpath.txt

# name | protorpc modules (each with its runtime dependencies)
DEPLOYMENTS=(
  "Minimal blocking client (or server)|rpc-api rpc-codec-protobuf rpc-transport-socket"
  "Netty server with zstd|rpc-api rpc-codec-protobuf rpc-transport-netty rpc-codec-compress"
  "Test setup (minimal client + testkit + JUnit)|rpc-api rpc-codec-protobuf rpc-transport-socket rpc-testkit"
)

echo "Building (tests skipped) and resolving runtime class paths..." >&2
mvn -B -q -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile="$CLASSPATH_FILE" -DincludeScope=runtime >&2

# The jar a protorpc module builds, or nothing when the module is not in this checkout.
module_jar() {
  local module=$1
  [ -f "$module/pom.xml" ] || return 0
  find "$module/target" -maxdepth 1 -name "$module-*.jar" \
    ! -name '*-sources.jar' ! -name '*-javadoc.jar' ! -name '*-tests.jar' -print -quit 2>/dev/null
}

# A protorpc jar's module name when the path is one of ours (in the local repository or a
# target/ directory of this checkout), else nothing.
own_module() {
  case $1 in
    */io/protorpc/*/*) basename "$(dirname "$(dirname "$1")")" ;;
    "$PWD"/*/target/*) local rel=${1#"$PWD"/}; echo "${rel%%/*}" ;;
  esac
}

human() {
  awk -v b="$1" 'BEGIN {
    if (b >= 1048576) printf "%.1f MiB", b / 1048576; else printf "%.1f KiB", b / 1024 }'
}

echo "Measured $(date -u +%Y-%m-%d) from commit $(git rev-parse --short HEAD)," \
  "$(java -version 2>&1 | sed -n 1p), jar sizes in bytes."
for deployment in "${DEPLOYMENTS[@]}"; do
  name=${deployment%%|*}
  read -r -a modules <<< "${deployment#*|}"
  echo
  echo "### $name"
  echo
  missing=()
  for m in "${modules[@]}"; do
    if [ -z "$(module_jar "$m")" ] || [ ! -f "$m/$CLASSPATH_FILE" ]; then
      missing+=("$m")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "not built: ${missing[*]} $([ ${#missing[@]} -gt 1 ] && echo are || echo is) not in" \
      "this checkout (modules: ${modules[*]})"
    continue
  fi
  declare -A jars=()
  for m in "${modules[@]}"; do
    jars[$(module_jar "$m")]=1
    IFS=: read -r -a entries < "$m/$CLASSPATH_FILE" || true
    for entry in "${entries[@]}"; do
      [ -n "$entry" ] || continue
      own=$(own_module "$entry")
      if [ -n "$own" ]; then
        # protorpc modules are counted from their own build, and must be listed above
        if [[ " ${modules[*]} " != *" $own "* ]]; then
          echo "warning: $m needs $own, which the deployment does not list" >&2
        fi
        continue
      fi
      jars[$entry]=1
    done
  done
  total=0
  echo "| jar | bytes |"
  echo "|---|---:|"
  while read -r jar; do
    size=$(stat -c %s "$jar")
    total=$((total + size))
    echo "| $(basename "$jar") | $size |"
  done < <(printf '%s\n' "${!jars[@]}" | sort -t/ -k1,1 | awk -F/ '{print $NF "\t" $0}' \
    | sort | cut -f2)
  echo "| **total: ${#jars[@]} jars** | **$total** ($(human "$total")) |"
  unset jars
done
