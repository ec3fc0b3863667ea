#!/bin/sh
# Build lineage-tiles-check into a directory (default: verifiers/tiles/bin/).
# Usage: verifiers/tiles/build.sh [OUTPUT_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/bin"}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$here"
GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -o "$out/lineage-tiles-check" ./cmd/lineage-tiles-check
echo "$out/lineage-tiles-check"
