#!/bin/sh
# Build lineage-verify-bundle into a directory (default: verifiers/go/bin/).
# Usage: verifiers/go/build.sh [OUTPUT_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/bin"}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$here"
GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -o "$out/lineage-verify-bundle" ./cmd/lineage-verify-bundle
echo "$out/lineage-verify-bundle"
