"""Issue 4: virtio-blk served by rvhv.
Acceptance 2: a guest of ours drives both transports through its own small
driver (tests/guests/blk_test.c): legacy on a RAM image, modern on the
platform's virtio-blk whose image file must hold what the guest wrote.
Acceptance 4: a hostile guest's malformed queues each end in a device error
while rvhv and another VM keep running (tests/guests/virtio_hostile.c)."""
import re

from conftest import guest_results

CHECKS = ["init", "capacity", "get-id", "sector0", "pattern", "last-sector", "multi-4k", "scatter",
          "indirect", "batch", "out-of-range", "flush", "irq", "healthy"]


def pattern_byte(sector, i):
    return (sector * 0x9d + i * 7 + (i >> 8) * 0x55 + 0x5a) % 256


def test_blk_both_transports_and_host_persistence(machine, tmp_path):
    image = tmp_path / "disk.img"
    seed = bytes(range(0xa0, 0xb0))
    image.write_bytes(seed + bytes(1024 * 1024 - len(seed)))
    m = machine(CONFIG="test-blk", HARTS=1, DISK=str(image))
    m.expect(r"rvhv: vm 'blk': virtio-blk at 0x10001000 \(legacy, 4096 KiB on a RAM image\)")
    m.expect(r"rvhv: vm 'blk': virtio-blk at 0x10002000 \(modern, 1024 KiB on the platform's")
    m.expect(r"blk_test: \d+ passed, \d+ failed", timeout=60)
    out = m.wait_exit(timeout=30)
    oks, fails, summary = guest_results(out, "blk_test")
    assert fails == []
    for check in CHECKS + ["suppress-flag", "mq"]:
        assert f"blk@10001000-legacy-{check}" in oks, check
    for check in CHECKS + ["suppress-event-idx", "marker", "mq"]:
        assert f"blk@10002000-modern-{check}" in oks, check
    # VIRTIO_BLK_F_MQ: four queues, the last one used without interrupts
    assert out.count("num_queues 4") == 2
    assert "blk: no device tree" not in out       # the guest DTB describes its devices
    assert "DEVICE_NEEDS_RESET" not in out
    # Reads of the host-backed disk came from the host's file ...
    assert f"blk: host disk sector 0: {seed.hex()}" in out
    # ... and the guest's writes are in it after power-off.
    data = image.read_bytes()
    marker = b"rvhv-blk-test persisted"
    assert data[7 * 512:7 * 512 + len(marker)] == marker
    assert data[7 * 512 + len(marker):8 * 512] == bytes(512 - len(marker))
    for sector in (1, 2, 3, 16, 23, 100):
        got = data[sector * 512:(sector + 1) * 512]
        assert got == bytes(pattern_byte(sector, i) for i in range(512)), sector


HOSTILE = ["loop", "loop-self", "buffer-outside-ram", "buffer-straddles-ram-end", "buffer-below-ram",
           "buffer-wraps", "zero-length", "zero-length-outside", "long-chain", "chain-over-4g",
           "misaligned-ring", "misaligned-used", "ring-outside-ram", "bad-queue-size",
           "avail-idx-jump", "head-out-of-range", "next-out-of-range", "readable-after-writable",
           "indirect-with-next", "indirect-nested", "indirect-bad-len", "indirect-loop",
           "indirect-outside-ram", "indirect-unnegotiated", "short-header", "no-status",
           "notify-bad-queue", "queue-sel-absent", "before-driver-ok", "read-into-ring",
           "register-width"]
LEGACY = ["legacy-queue-align", "legacy-page-size-0", "legacy-pfn-outside-ram", "legacy-queue-high",
          "legacy-loop", "legacy-buffer-outside-ram", "legacy-avail-idx-jump"]


def test_hostile_queues_get_device_errors(machine):
    m = machine(CONFIG="test-blk-hostile", HARTS=2)
    m.expect(r"hostile\| virtio_hostile: \d+ passed, \d+ failed", timeout=90)
    m.expect(r"victim\| victim: \d+ passed, \d+ failed", timeout=60)
    out = m.wait_exit(timeout=30)
    hostile = "\n".join(l[len("hostile| "):] for l in out.splitlines() if l.startswith("hostile| "))
    victim = "\n".join(l[len("victim| "):] for l in out.splitlines() if l.startswith("victim| "))
    oks, fails, summary = guest_results(hostile, "virtio_hostile")
    assert fails == []
    for case in HOSTILE + LEGACY:
        assert f"hostile-{case}" in oks, case
        assert f"recover-{case}" in oks, case
    assert "hostile-disk-intact" in oks and "hostile-legacy-disk-intact" in oks
    assert "hostile: zero-length: completed, status 0, len 1" in hostile
    assert "hostile: short-header: completed, status 1, len 1" in hostile
    # rvhv said what happened, once per failure, against the hostile VM only
    reasons = set(re.findall(r"rvhv: vm 'hostile': virtio-blk: ([^:\n]+): device error", out))
    for reason in ("descriptor loop", "virtqueue or buffer outside guest RAM",
                   "misaligned virtqueue", "ring index out of range"):
        assert any(reason in r for r in reasons), reason
    assert len(re.findall(r"rvhv: vm 'hostile': virtio-blk: ", out)) >= 30
    assert not re.search(r"rvhv: vm 'victim': (vcpu|virtio)", out)
    # the other VM ran through it all
    v_oks, v_fails, _ = guest_results(victim, "victim")
    assert v_fails == [] and v_oks == ["victim-intact"]
    assert "victim| victim: heartbeat 40" in out
