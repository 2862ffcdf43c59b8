#!/bin/sh
# Install everything rvhv builds and tests with, from Debian's archive only.
# Idempotent: when every package is present it only checks and prepares libfdt.
set -e
PKGS="make gcc gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf binutils-riscv64-unknown-elf
qemu-system-misc opensbi u-boot-qemu device-tree-compiler linux-source-6.1
gcc-riscv64-linux-gnu gdb-multiarch libcmocka-dev python3 python3-pytest python3-pexpect
clang xz-utils cpio bc flex bison libssl-dev libelf-dev"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing:$missing"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
else
	echo "setup: all packages present"
fi
"$(dirname "$0")/libfdt.sh"
