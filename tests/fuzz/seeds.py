#!/usr/bin/env python3
"""Write hand-made seed inputs for the fuzz targets (tests/fuzz/README.md).

Each seed is a well-formed case in the target's input format (see the
comment at the top of each fuzz_*.c): an xv6-style driver set-up, a valid
descriptor chain, a config that parses.  `make fuzz-merge` folds them, with
what the fuzzers found, into the minimised corpus under tests/fuzz/corpus.

    tests/fuzz/seeds.py OUTDIR      # writes OUTDIR/<target>/seed-*
"""
import hashlib
import struct
import subprocess
import sys
from pathlib import Path


def u8(*v):
    return bytes(v)


def u16(*v):
    return struct.pack(f"<{len(v)}H", *v)


def u32(*v):
    return struct.pack(f"<{len(v)}I", *v)


def u64(*v):
    return struct.pack(f"<{len(v)}Q", *v)


# ---------------------------------------------------------------- fuzz_decode
def decode_seeds():
    insns = [
        0x0005A503,  # lw a0, 0(a1)
        0x00B53023,  # sd a1, 0(a0)
        0x0005C503,  # lbu a0, 0(a1)
        0x00051283,  # lh t0, 0(a0)
        0x4188,      # c.lw a0, 0(a1)
        0xE188,      # c.sd a0, 0(a1)
        0x4502 | 0x10000 * 0x4188,  # c.lwsp a0, 0(sp) then another halfword
        0xE02A,      # c.sdsp a0, 0(sp)
        0x30529073,  # csrw mtvec, t0
        0x34202573,  # csrr a0, mcause
        0x3007E073,  # csrsi mstatus, 15
        0x30200073,  # mret
        0x10500073,  # wfi
        0x00000073,  # ecall
        0x12000073,  # sfence.vma
        0x00002501,  # htinst: a transformed c.lw a0 (bit 1 clear)
    ]
    yield "insns", b"".join(u64(i) for i in insns)


# ---------------------------------------------------------------- fuzz_virtqueue
VQ_RAM = 0x10000


def desc(addr, length, flags=0, nxt=0):
    return u64(VQ_RAM + addr) + u32(length) + u16(flags, nxt)


def vq_input(num_log2, flags, d, a, u, last_avail, used_idx, ops, ram):
    def addr(off):  # the target adds RAM_BASE - 256 to its operand
        return off + 256

    hdr = u8(num_log2, flags) + u16(addr(d), addr(a), addr(u), last_avail, used_idx)
    return hdr + bytes(ops) + ram


def place(ram, off, data):
    ram[off:off + len(data)] = data


def virtqueue_seeds():
    NEXT, WRITE, IND = 1, 2, 4
    ram = bytearray(0xA01)
    # chain 0: header (readable), data and status (writable), as virtio-blk
    place(ram, 0x000, desc(0x800, 16, NEXT, 1) + desc(0x900, 256, NEXT | WRITE, 2) +
          desc(0xA00, 1, WRITE))
    # chain 3: one indirect table of three descriptors
    place(ram, 0x030, desc(0x600, 48, IND))
    place(ram, 0x600, desc(0x800, 16, NEXT, 1) + desc(0x900, 64, NEXT | WRITE, 2) +
          desc(0xA00, 1, WRITE))
    # avail: flags 0, idx 2, ring [0, 3]
    place(ram, 0x200, u16(0, 2, 0, 3))
    ops = [0, 1, 7 | (5 << 3), 2, 3 | (1 << 3), 4, 5, 6 | (1 << 3)]
    yield "blk-like", vq_input(3, 0, 0, 0x200, 0x400, 0, 0, ops, bytes(ram))
    ops = [1, 1, 7 | (9 << 3), 2, 2, 3, 4 | 8, 0]
    yield "event-idx", vq_input(3, 3, 0, 0x200, 0x400, 0, 0, ops, bytes(ram))
    loop = bytearray(ram)
    place(loop, 0x010, desc(0x900, 8, NEXT | WRITE, 0))  # 1 -> 0 -> 1 ...
    yield "loop", vq_input(3, 2, 0, 0x200, 0x400, 0, 0, [0] * 8, bytes(loop))


# ---------------------------------------------------------------- fuzz_uart16550
def uart_seeds():
    def wr(reg, v):
        return u8(0x04, reg, v)

    def rd(reg):
        return u8(0x00, reg, 0)

    def rx(c):
        return u8(0x80, 0, c)

    # xv6's uartinit, then output, input, IIR and LSR polls
    init = wr(1, 0) + wr(3, 0x80) + wr(0, 3) + wr(1, 0) + wr(3, 3) + wr(2, 7) + wr(1, 3)
    io = wr(0, ord("$")) + rd(2) + rd(5) + rx(ord("l")) + rx(ord("s")) + rd(2) + rd(5) + rd(0)
    yield "xv6", init + io + u8(0xC0, 0, 0) + u8(0xE0, 0, 0)
    # loopback and modem status
    yield "loop", wr(2, 0xC1) + wr(1, 0x0F) + wr(4, 0x1F) + wr(0, 0x41) + rd(6) + wr(4, 0) + \
        rd(6) + rd(2) + rd(0) + u8(0x0C, 0x42, 0x55)


# ---------------------------------------------------------------- fuzz_plic
def plic_seeds():
    def acc(block, idx, val, write=True):
        return u8(0, block | (8 if write else 0) | 0x40) + u16(idx) + u32(val)

    def level(src, on):
        return u8(0x80 | on, src)

    # xv6: UART (10) and virtio (1) to hart 0's S context (1)
    ops = acc(0, 10, 1) + acc(0, 1, 1) + acc(2, 1 * 8 + 0, (1 << 10) | (1 << 1)) + \
        acc(3, 1 * 4 + 0, 0) + level(10, 1) + level(1, 1) + acc(6, 1 * 4, 0, False) + \
        acc(1, 0, 0, False) + level(10, 0) + acc(4, 1 * 4 + 1, 10) + acc(6, 1 * 4, 0, False) + \
        acc(4, 1 * 4 + 1, 1)
    yield "xv6", u8(96, 4, 0) + ops
    yield "qemu-gateway", u8(127, 16, 1) + ops + level(1, 1) + acc(6, 4, 0, False)


# ---------------------------------------------------------------- fuzz_clint
def clint_seeds():
    def acc(base, width_log2, idx, val, write):
        return u8(base | (width_log2 << 2) | (16 if write else 0), 0) + u16(idx) + u64(val)

    def time(dt):
        return u8(0, 2) + u16(0) + u64(dt)

    def update(h):
        return u8(0, 3) + u16(h) + u64(0)

    # xv6's timer: mtimecmp = mtime + interval; msip for IPIs
    ops = acc(2, 3, 0, 0, False) + acc(1, 3, 8, 1000, True) + time(500) + update(1) + \
        time(600) + update(1) + acc(1, 2, 12, 0, True) + acc(1, 2, 8, 0, False) + \
        acc(0, 2, 4, 1, True) + acc(0, 2, 4, 0, False) + acc(0, 2, 4, 0, True)
    yield "xv6", u8(2) + ops


# ---------------------------------------------------------------- fuzz_vpci
def vpci_seeds():
    def acc(dev, reg, width_log2, val, write):
        off = dev << 15 | reg
        return u8((width_log2 << 3) | (1 if write else 0), off >> 15) + u16(off & 0x7fff) + \
            u64(val)

    # edu at device 1 (BAR0 32-bit memory), virtio-net-pci at 2 (I/O BAR0, memory BAR1,
    # 64-bit prefetchable BAR4): what Linux's probe does to them
    funcs = u8(2) + u8(1) + u8(0x82) + u8(0) * 5 + u8(2) + u8(1) + u8(0x02) + u8(0) * 2 + \
        u8(0x07) + u8(0)
    ops = b""
    for dev in range(4):
        ops += acc(dev, 0, 2, 0, False)
    for dev in (1, 2):
        for bar in range(6):
            reg = 0x10 + 4 * bar
            ops += acc(dev, reg, 2, 0, False) + acc(dev, reg, 2, 0xffffffff, True) + \
                acc(dev, reg, 2, 0, False) + acc(dev, reg, 2, 0x40000000, True)
        ops += acc(dev, 4, 1, 0x6, True) + acc(dev, 0x3c, 0, 33, True) + acc(dev, 0x34, 0, 0, False)
    yield "linux-probe", funcs + ops + u8(7, 0) + u16(0) + u64(0)


# ---------------------------------------------------------------- fuzz_virtio_mmio
MMIO_RAM = 0x10000


def mmio_ops(legacy, device, host_fails=False):
    ops = []

    def wr(reg, val):
        ops.append(u8(0x20, reg // 4, 0, 0) + u32(val))

    def rd(reg):
        ops.append(u8(0x00, reg // 4, 0, 0) + u32(0))

    rd(0x000), rd(0x004), rd(0x008), rd(0x00C)
    wr(0x070, 0), wr(0x070, 1), wr(0x070, 3)
    rd(0x010)
    wr(0x020, (1 << 28) | (1 << 29) | (1 << 9))
    wr(0x024, 1), wr(0x020, 1)
    wr(0x070, 11), rd(0x070)
    wr(0x030, 0), rd(0x034), wr(0x038, 8)
    if legacy:  # rings at RAM + 0: desc, avail at +0x80, used at the next 256
        wr(0x028, 4096), wr(0x03C, 256), wr(0x040, MMIO_RAM // 4096)
        wr(0x070, 15)
    else:
        for reg, off in ((0x080, 0x000), (0x090, 0x400), (0x0A0, 0x800)):
            wr(reg, MMIO_RAM + off), wr(reg + 4, 0)
        wr(0x044, 1), rd(0x044), wr(0x070, 15)
    wr(0x050, 0), rd(0x060), wr(0x064, 1)
    ops.append(u8(0x00 | 0x08, 0x80, 0, 0) + u32(0))  # config space, byte
    ops.append(u8(0x06, 0, 0, 0) + u32(0))  # hypervisor: notify_used
    ops.append(u8(0x07, 0, 0, 0) + u32(0))  # poller
    mode = int(legacy) | device << 1 | (8 if host_fails else 0)
    return u8(mode, len(ops)) + b"".join(ops)


def mmio_ram(legacy):
    NEXT, WRITE = 1, 2
    ram = bytearray(0xE01)
    a = 0x080 if legacy else 0x400

    def dsc(addr, length, flags=0, nxt=0):
        return u64(MMIO_RAM + addr) + u32(length) + u16(flags, nxt)

    place(ram, 0, dsc(0xA00, 16, NEXT, 1) + dsc(0xC00, 512, NEXT | WRITE, 2) +
          dsc(0xE00, 1, WRITE))
    place(ram, a, u16(0, 1, 0))
    place(ram, 0xA00, u32(0, 0) + u64(1))  # VIRTIO_BLK_T_IN, sector 1
    return bytes(ram)


def virtio_mmio_seeds():
    for legacy in (False, True):
        name = "legacy" if legacy else "modern"
        yield f"blk-ram-{name}", mmio_ops(legacy, 0) + mmio_ram(legacy)
        yield f"blk-host-{name}", mmio_ops(legacy, 1) + mmio_ram(legacy)
    yield "rng", mmio_ops(False, 3) + mmio_ram(False)
    yield "blk-host-fails", mmio_ops(False, 1, True) + mmio_ram(False)


# ---------------------------------------------------------------- fuzz_config
CONFIGS = {
    "two-vms": """
        linux@0 { compatible = "rvhv,vm"; boot = "supervisor"; cpus = <2>; harts = <1 0>;
          memory = <0 0x80000000 0 0x8000000>; image = [7f 45 4c 46 02 01 01 00];
          image-addr = <0 0x80400000>; initrd = [01 02 03]; bootargs = "console=ttyS0";
          devices { #address-cells = <2>; #size-cells = <2>;
            serial@10000000 { compatible = "ns16550a"; reg = <0 0x10000000 0 0x100>; };
            blk@10001000 { compatible = "virtio,mmio"; reg = <0 0x10001000 0 0x1000>; }; }; };
        notes { text = "not a VM"; };
        xv6 { compatible = "rvhv,vm"; boot = "machine"; cpus = <3>;
          memory = <0 0x80000000 0 0x200000>; image = "xv6"; };
    """,
    "minimal": """
        demo { compatible = "rvhv,vm"; memory = <0 0x80000000 0 0x4000000>; image = [13 00]; };
    """,
    "bad-cpus": """
        bad { compatible = "rvhv,vm"; cpus = <9>; memory = <0 0x80000000 0 0x200000>;
          image = [00]; };
    """,
    "overlap": """
        vm@1 { compatible = "rvhv,vm"; memory = <0 0x80000000 0 0x200000>; image = [00];
          devices { d@80000000 { reg = <0 0x80000000 0 0x1000>; }; }; };
    """,
}


def config_seeds():
    for name, body in CONFIGS.items():
        dts = f'/dts-v1/;\n/ {{ compatible = "rvhv,config";\n{body}\n}};\n'
        dtb = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb"], input=dts.encode(),
                             check=True, capture_output=True).stdout
        yield name, dtb + u8(160)  # the last byte sizes the error buffer


SEEDS = {
    "fuzz_decode": decode_seeds,
    "fuzz_virtqueue": virtqueue_seeds,
    "fuzz_uart16550": uart_seeds,
    "fuzz_plic": plic_seeds,
    "fuzz_clint": clint_seeds,
    "fuzz_virtio_mmio": virtio_mmio_seeds,
    "fuzz_config": config_seeds,
    "fuzz_vpci": vpci_seeds,
}


def main():
    out = Path(sys.argv[1])
    for target, gen in SEEDS.items():
        (out / target).mkdir(parents=True, exist_ok=True)
        for name, data in gen():
            digest = hashlib.sha1(data).hexdigest()[:8]
            (out / target / f"seed-{name}-{digest}").write_bytes(data)


if __name__ == "__main__":
    main()
