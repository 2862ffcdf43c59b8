"""Issue 4, acceptance 3: the Linux 6.1 guest (tools/build-linux.sh, from
Debian's linux-source-6.1) under rvhv with 2 vCPUs: its virtio-blk disk on the
platform's virtio-blk (written and read back with checksums, and read again through
the poll queue, io_uring IOPOLL), virtio-rng on the
platform's, packets exchanged with a second Linux VM over virtio-net, and
power-off through SBI SRST; and the network switch's uplink."""
import os
import re
import subprocess

import pytest

from conftest import guest_results

IMAGE = os.environ.get("RVHV_LINUX_IMAGE",
                       os.path.expanduser("~/.cache/rvhv/linux/Image"))

pytestmark = pytest.mark.skipif(not os.path.isfile(IMAGE),
                                reason=f"{IMAGE}: build it with make linux")

ROOT_HEAD = ('/dts-v1/;\n/ {\n\tcompatible = "rvhv,config";\n'
             '\t#address-cells = <2>;\n\t#size-cells = <2>;\n')

VM = """
	{name} {{
		compatible = "rvhv,vm";
		cpus = <{cpus}>;
		memory = <0x0 0x80000000 0x0 {mem}>;
		image = /incbin/("{image}");
		bootargs = "console=ttyS0 earlycon=sbi rvhv.cpus={cpus} rvhv.net={role}";
		devices {{{devices}
		}};
	}};"""


def with_args(vm, args):
    """A VM node from VM with more kernel arguments."""
    head, sep, tail = vm.partition('rvhv.net=')
    value, quote, rest = tail.partition('"')
    return f"{head}{sep}{value} {args}{quote}{rest}"


def plic(cpus, phandle):
    """A PLIC and a 16550 (phandles must differ between the VMs of one config)."""
    ctx = " ".join(f"0x{0x8000 + i:x} 11 0x{0x8000 + i:x} 9" for i in range(cpus))
    return f"""
			plic@c000000 {{
				compatible = "sifive,plic-1.0.0", "riscv,plic0";
				reg = <0x0 0xc000000 0x0 0x600000>;
				riscv,ndev = <95>;
				interrupt-controller;
				#interrupt-cells = <1>;
				#address-cells = <0>;
				interrupts-extended = <{ctx}>;
				phandle = <{phandle}>;
			}};
			serial@10000000 {{
				compatible = "ns16550a";
				reg = <0x0 0x10000000 0x0 0x100>;
				interrupts = <10>;
				interrupt-parent = <{phandle}>;
				clock-frequency = <0x384000>;
			}};"""


def virtio(slot, body, phandle):
    return f"""
			virtio_mmio@1000{slot}000 {{
				compatible = "virtio,mmio";
				reg = <0x0 0x1000{slot}000 0x0 0x1000>;
				interrupts = <{slot}>;
				interrupt-parent = <{phandle}>;
				{body}
			}};"""


def compile_dts(tmp_path, dts):
    src, dtb = tmp_path / "linux.dts", tmp_path / "linux.dtb"
    src.write_text(dts)
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(dtb), str(src)], check=True)
    return dtb


def vm_lines(out, name):
    return "\n".join(l[len(name) + 2:] for l in out.splitlines() if l.startswith(name + "| "))


def test_linux_blk_rng_net_srst(machine, tmp_path):
    a = plic(2, "0x100") + virtio(1, 'rvhv,device = "blk"; rvhv,backend = "host"; '
                                     'rvhv,host-reg = <0x0 0x10001000>;', "0x100") \
        + virtio(2, 'rvhv,device = "rng"; rvhv,host-reg = <0x0 0x10002000>;', "0x100") \
        + virtio(3, 'rvhv,device = "net";', "0x100")
    b = plic(1, "0x200") + virtio(3, 'rvhv,device = "net";', "0x200")
    dts = ROOT_HEAD \
        + with_args(VM.format(name="linux-a", cpus=2, mem="0x10000000", image=IMAGE, role="ping",
                            devices=a), "virtio_blk.poll_queues=1") \
        + VM.format(name="linux-b", cpus=1, mem="0x8000000", image=IMAGE, role="pong", devices=b) \
        + "\n};\n"
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(8 << 20))
    m = machine(VMCONFIG=str(compile_dts(tmp_path, dts)), HARTS=3, DISK=str(disk), timeout=180,
                QEMUFLAGS="-device virtio-rng-device,bus=virtio-mmio-bus.1")
    done = set()
    while len(done) < 2:  # the VMs finish in either order
        done.add(m.expect(r"(linux-[ab])\| rvhv-init: \d+ passed, \d+ failed", timeout=180).group(1))
    out = m.wait_exit(timeout=60)
    a_oks, a_fails, _ = guest_results(vm_lines(out, "linux-a"), "rvhv-init")
    b_oks, b_fails, _ = guest_results(vm_lines(out, "linux-b"), "rvhv-init")
    assert a_fails == [] and b_fails == []
    assert {"cpus", "blk", "blk-poll", "rng", "net"} <= set(a_oks)
    # virtio-blk's queues (VIRTIO_BLK_F_MQ): one per vCPU, the second polled (no interrupts)
    assert "linux-a| ok blk-poll (256 reads of 4 KiB)" in out
    assert re.search(r"linux-a\| .*virtio_blk virtio\d+: 1/0/1 default/read/poll queues", out)
    assert {"cpus", "net"} <= set(b_oks)
    assert "linux-a| rvhv-init: up, 2 cpus" in out
    assert "linux-a| ok net (10 frames of 282 bytes answered by the other VM)" in out
    # the data the guest wrote is in the host's image file
    assert any(disk.read_bytes()[:1 << 20])
    for name in ("linux-a", "linux-b"):
        assert f"rvhv: vm '{name}' stopped: the guest asked for shutdown (SBI SRST)" in out


def test_linux_net_uplink(machine, tmp_path):
    """The switch's uplink: a VM's ARP request reaches QEMU's user network (the
    platform's virtio-net, driven by rvhv) and the gateway's reply comes back."""
    devices = plic(1, "0x100") + virtio(1, 'rvhv,device = "net";', "0x100")
    dts = ROOT_HEAD + "\trvhv,net-uplink = <0x0 0x10003000>;" \
        + VM.format(name="linux-u", cpus=1, mem="0x8000000", image=IMAGE, role="uplink",
                    devices=devices) + "\n};\n"
    m = machine(VMCONFIG=str(compile_dts(tmp_path, dts)), HARTS=1, timeout=120,
                QEMUFLAGS="-netdev user,id=n0 -device virtio-net-device,netdev=n0,"
                          "bus=virtio-mmio-bus.2")
    m.expect(r"rvhv: the VMs' network switch has an uplink: the platform's virtio-net at "
             r"0x10003000")
    m.expect(r"rvhv-init: \d+ passed, \d+ failed", timeout=120)
    out = m.wait_exit(timeout=60)
    oks, fails, _ = guest_results(out, "rvhv-init")
    assert fails == [] and "net" in oks
    assert "10.0.2.2 is at 52:55:0a:00:02:02 (over the uplink)" in out   # slirp's gateway MAC


def test_linux_poller_and_poll_queue(machine, tmp_path):
    """A poller hart serves the disk, and the guest polls too: with 2 vCPUs and
    virtio_blk.poll_queues=1 Linux makes virtio-blk's second queue a poll queue
    (no interrupts) and reads through it with io_uring IOPOLL.  rvhv's tick
    runs on the poller hart, so the vCPUs take no timer exits of rvhv's."""
    devices = plic(2, "0x100") + virtio(1, 'rvhv,device = "blk"; rvhv,backend = "host"; '
                                           'rvhv,host-reg = <0x0 0x10001000>;', "0x100")
    dts = ROOT_HEAD + "\trvhv,poller-harts = <2>;" \
        + with_args(VM.format(name="linux-p", cpus=2, mem="0x8000000", image=IMAGE, role="none",
                            devices=devices), "virtio_blk.poll_queues=1") + "\n};\n"
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(8 << 20))
    m = machine(VMCONFIG=str(compile_dts(tmp_path, dts)), HARTS=3, DISK=str(disk), timeout=120)
    m.expect(r"rvhv: hart 2 polls the virtqueues")
    m.expect(r"rvhv-init: \d+ passed, \d+ failed", timeout=120)
    out = m.wait_exit(timeout=60)
    oks, fails, _ = guest_results(out, "rvhv-init")
    assert fails == [] and {"cpus", "blk", "blk-poll"} <= set(oks)
    assert re.search(r"virtio_blk virtio\d+: 1/0/1 default/read/poll queues", out)
    assert any(disk.read_bytes()[:1 << 20])
    exits = re.search(r"rvhv: vm 'linux-p' exits: (.*)", out)
    assert exits and "irq-timer" not in exits.group(1), exits
