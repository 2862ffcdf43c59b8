/*
 * Forwarding a real device's interrupt to a VM (passthrough, DESIGN §7):
 * rvhv enables the host PLIC source on the S-mode context of the hart that
 * runs the VM's vCPU 0; when it fires, rvhv claims it and raises the VM's
 * vPLIC line.  The host source is completed only when the guest completes
 * that line, so a level-triggered device that still asserts its line
 * interrupts again, exactly as it would without rvhv.
 */
#ifndef RVHV_IRQ_H
#define RVHV_IRQ_H

#include "kernel/types.h"

struct vm;

/*
 * Route host PLIC source host_src to vPLIC source `line` of vm (which must
 * have a vPLIC).  Several host sources may share one line; one host source
 * goes to one VM line only.  0, or -1 with a message in err.
 */
int irq_forward(struct vm *vm, u32 host_src, u32 line, char *err, size_t errlen);
/* Enable the forwarded sources on the harts that take them (after the harts
 * of vCPUs are known, before guests run); each hart calls it for itself. */
void irq_hart_init(void);
/* A supervisor external interrupt on this hart: claim and forward. */
void irq_handle_host(void);
/* Whether some host source is forwarded to vm. */
bool irq_vm_forwards(const struct vm *vm);
/* The guest completed vPLIC source `line` (vPLIC callback; dev_lock held). */
void irq_guest_complete(struct vm *vm, u32 line);
/* The VM resets: complete what its guest will never complete now. */
void irq_vm_reset(struct vm *vm);

#endif
