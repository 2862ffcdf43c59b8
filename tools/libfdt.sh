#!/bin/sh
# Extract libfdt from Debian's linux-source-6.1 into the cache (never into the repo).
# Prints nothing when it is already there.
set -e
CACHE=${RVHV_CACHE:-$HOME/.cache/rvhv}
DST=$CACHE/libfdt
TARBALL=/usr/src/linux-source-6.1.tar.xz
[ -f "$DST/fdt.c" ] && exit 0
[ -f "$TARBALL" ] || { echo "libfdt: $TARBALL missing: run 'make deps'" >&2; exit 1; }
echo "libfdt: extracting scripts/dtc/libfdt from $TARBALL (once)"
mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/libfdt.XXXXXX")
tar -xJf "$TARBALL" -C "$tmp" --strip-components=4 linux-source-6.1/scripts/dtc/libfdt
rm -rf "$DST"
mv "$tmp" "$DST"
