#!/bin/sh
# Build a small Linux 6.1 guest for rvhv from Debian's linux-source-6.1.
#
#   tools/build-linux.sh            -> prints the path of the Image
#
# Everything goes to ${RVHV_CACHE:-$HOME/.cache/rvhv}/linux/, never into the repo:
#   src/      the extracted kernel tree (extracted once per tarball version)
#   build/    the kernel's O= build directory (incremental)
#   initramfs/ our init (tools/linux/init.c, static) and the cpio list built into the Image
#   Image     the result; Image.key records the inputs it was built from
# The config is tinyconfig + tools/linux/rvhv_defconfig (merged with merge_config.sh).
# When the inputs (this script, the fragment, init.c and uring.h, the tarball) are unchanged, it only
# prints the path. Set JOBS to change make's -j (default 2).
set -e

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${RVHV_CACHE:-$HOME/.cache/rvhv}
L=$CACHE/linux
TARBALL=/usr/src/linux-source-6.1.tar.xz
FRAGMENT=$HERE/linux/rvhv_defconfig
INIT_C=$HERE/linux/init.c
URING_H=$HERE/linux/uring.h
CROSS=riscv64-linux-gnu-
JOBS=${JOBS:-2}

die() { echo "build-linux: $*" >&2; exit 1; }

# ---------------------------------------------------------------- prerequisites
missing=""
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need_cmd ${CROSS}gcc gcc-riscv64-linux-gnu
need_cmd make make
need_cmd gcc gcc
need_cmd flex flex
need_cmd bison bison
need_cmd bc bc
need_cmd xz xz-utils
need_cmd perl perl
need_cmd sha256sum coreutils
need_cmd flock util-linux
[ -f "$TARBALL" ] || missing="$missing linux-source-6.1"
[ -f /usr/include/openssl/opensslv.h ] || missing="$missing libssl-dev"
[ -f /usr/include/libelf.h ] || missing="$missing libelf-dev"
[ -f /usr/riscv64-linux-gnu/lib/libc.a ] || missing="$missing libc6-dev-riscv64-cross"
[ -z "$missing" ] || die "missing packages:$missing (run 'make deps')"
for f in "$FRAGMENT" "$INIT_C" "$URING_H"; do [ -f "$f" ] || die "$f missing"; done

# ---------------------------------------------------------------- up to date?
tarball_id=$(stat -c '%s-%Y' "$TARBALL")
key=$( { cat "$0" "$FRAGMENT" "$INIT_C" "$URING_H"; echo "$tarball_id $CROSS"; } | sha256sum | cut -d' ' -f1)
if [ -f "$L/Image" ] && [ "$(cat "$L/Image.key" 2>/dev/null)" = "$key" ]; then
	echo "$L/Image"
	exit 0
fi
# One build at a time in the cache (make test and a user may both ask for it).
mkdir -p "$L"
exec 9>"$L/.lock"
if ! flock -n 9; then
	echo "build-linux: waiting for another build in $L" >&2
	flock 9
	if [ -f "$L/Image" ] && [ "$(cat "$L/Image.key" 2>/dev/null)" = "$key" ]; then
		echo "$L/Image"
		exit 0
	fi
fi
start=$(date +%s)

# ---------------------------------------------------------------- source tree (once)
SRC=$L/src
if [ "$(cat "$SRC/.rvhv-tarball" 2>/dev/null)" != "$tarball_id" ]; then
	echo "build-linux: extracting $TARBALL (once; about a minute)"
	rm -rf "$SRC" "$L/build"
	tmp=$(mktemp -d "$L/src.XXXXXX")
	tar -xJf "$TARBALL" -C "$tmp" --strip-components=1
	echo "$tarball_id" > "$tmp/.rvhv-tarball"
	mv "$tmp" "$SRC"
fi

# ---------------------------------------------------------------- initramfs
IRD=$L/initramfs
mkdir -p "$IRD"
echo "build-linux: compiling init"
${CROSS}gcc -static -O2 -Wall -Wextra -I "$HERE/linux" -o "$IRD/init" "$INIT_C"
${CROSS}strip "$IRD/init"
cat > "$IRD/list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
dir /tmp 1777 0 0
file /init $IRD/init 0755 0 0
EOF

# ---------------------------------------------------------------- configure
B=$L/build
mkdir -p "$B"
KMAKE="make -C $SRC O=$B ARCH=riscv CROSS_COMPILE=$CROSS"
echo "CONFIG_INITRAMFS_SOURCE=\"$IRD/list\"" > "$L/initramfs.config"
echo "build-linux: configuring (tinyconfig + $(basename "$FRAGMENT"))"
# tinyconfig, then our fragment over it with allnoconfig (-n): symbols that only become
# visible through the fragment stay off instead of taking their (often y) defaults.
$KMAKE -s tinyconfig >/dev/null
cp "$B/.config" "$L/tinyconfig"
( cd "$SRC" && ARCH=riscv CROSS_COMPILE=$CROSS scripts/kconfig/merge_config.sh -n -O "$B" \
	"$L/tinyconfig" "$FRAGMENT" "$L/initramfs.config" ) >"$L/config.log" 2>&1 ||
	{ tail -n 20 "$L/config.log" >&2; die "configuration failed (log: $L/config.log)"; }
# Every symbol the fragment asks for must have survived (a typo or an unmet dependency
# otherwise silently disappears).
for f in "$FRAGMENT" "$L/initramfs.config"; do
	grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' "$f" | while IFS= read -r line; do
		case $line in
		"# "*) sym=${line#\# }; sym=${sym%% *}
			grep -q "^$sym=" "$B/.config" && echo "build-linux: warning: $sym is set, fragment wants it off" >&2 ;;
		*) grep -qxF "$line" "$B/.config" || {
			got=$(grep -E "^(# )?${line%%=*}[= ]" "$B/.config" || echo "absent")
			echo "build-linux: warning: wanted $line, got: $got" >&2; } ;;
		esac
	done
done

# ---------------------------------------------------------------- build
echo "build-linux: building Image (make -j$JOBS; a few minutes the first time)"
$KMAKE -j"$JOBS" Image >"$L/build.log" 2>&1 || {
	tail -n 40 "$L/build.log" >&2
	die "kernel build failed (full log: $L/build.log)"
}
cp "$B/arch/riscv/boot/Image" "$L/Image.tmp"
mv "$L/Image.tmp" "$L/Image"
echo "$key" > "$L/Image.key"
echo "build-linux: done in $(( $(date +%s) - start ))s, $(stat -c %s "$L/Image") bytes" >&2
echo "$L/Image"
