/* SPDX-License-Identifier: MIT */
/*
 * The "vmm" personality (vmm.h): the freestanding Linux loader
 * (src/boot/boot.h) writes the guest into a region carved out of our free
 * memory, mapped into the child from guest-physical 0; then a loop over the
 * child's exits emulates the few devices an unmodified Linux touches: the
 * UART (uart.c), the ACPI power-off and reset registers, the i8042 reset,
 * and quiet answers for CMOS, PCI configuration and POST. Virtio devices:
 * our parent's disk, rng and network, those it gives us, forwarded
 * (vdev.h) from BOOT_MMIO_BASE, each with its line from BOOT_FIRST_GSI;
 * other MMIO reads are all-ones and writes are dropped.
 */
#include "layer/vmm.h"

#include "boot/boot.h"
#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"
#include "fw/wrap.h"
#include "layer/vdev.h"
#include "virtio/uart.h"
#include "lib/rt.h"

#define BIG_PAGE 0x200000ULL
#define VMM_MAX_MEM (3ULL << 30) /* one RAM region, below BOOT_HOLE_START */

#define I8042_DATA 0x60
#define I8042_CMD 0x64
#define I8042_RESET 0xfe

#define CODE_POWEROFF 0
#define CODE_RESET 2
#define CODE_CRASH 3

/*
 * The guest's vCPUs (ncpus, info->ncpus; at most RP_MAX_VCPUS, the ABI's
 * per VM): vcpu (its 0, the boot CPU) we run; the others the root runs on
 * threads of its own (RP_HC_VCPU_START), and their exits come to us one
 * at a time, each answered with RP_HC_VCPU_RUN of the vCPU it names.
 */
struct guest {
	uint8_t *base; /* guest-physical 0, in our memory */
	uint64_t size;
	int64_t vm, vcpu;
	unsigned ncpus;
};

static struct guest g;
static struct uart uart;
static struct rp_exit gexit;
static struct rp_vcpu_state gstate;
static char cmdline[sizeof(((struct rp_boot_info *)0)->cmdline) + 1];
static unsigned odd_logged;

static __attribute__((noreturn)) void vmm_fail(const char *what, const char *detail)
{
	layer_fail("vmm", what, detail);
}

static __attribute__((noreturn)) void vmm_end(uint64_t code)
{
	port_out(RP_PORT_POWEROFF, 4, (uint32_t)code);
	hc_exit(code);
}

static void log_odd(const char *what, uint64_t addr)
{
	struct line l = {.len = 0};

	if (odd_logged >= 8)
		return;
	odd_logged++;
	line_str(&l, "vmm: guest ");
	line_str(&l, what);
	line_str(&l, " ");
	line_hex(&l, addr);
	line_send(&l);
}

static void *guest_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
	const struct guest *gg = ctx;

	if (!rt_range_ok(gpa, len, gg->size))
		return NULL;
	return gg->base + gpa;
}

/* For its devices: the guest's RAM is one R|W|X map, all of it writable by it. */
static void *guest_dev_ptr(void *ctx, uint64_t gpa, uint64_t len, bool write)
{
	(void)write;
	return guest_ptr(ctx, gpa, len);
}

static vmm_console_fn *console_hook; /* NULL but for a test personality */

static void uart_put(void *ctx, uint8_t c)
{
	(void)ctx;
	port_out(RP_PORT_CONSOLE, 1, c);
	if (console_hook)
		console_hook(c, g.base, g.size);
}

static uint32_t uart_level; /* the UART's interrupt line, sent with each run (vdev_run) */

static void uart_irq(void *ctx, int level)
{
	(void)ctx;
	uart_level = level != 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Payloads inside our memory; the guest's region after them, in free memory. */
static void carve(const struct rp_boot_info *info)
{
	uint64_t end = info->free_start, base;
	unsigned i;

	if (info->npayload < 1 || info->npayload > 2)
		vmm_fail("want payloads kernel [initrd]", NULL);
	for (i = 0; i < info->npayload; i++) {
		const struct rp_blob *b = &info->payload[i];

		if (b->gpa < RP_IMAGE_BASE || !rt_range_ok(b->gpa, b->size, info->mem_size))
			vmm_fail("payload outside my memory", NULL);
		if (b->gpa + b->size > end)
			end = b->gpa + b->size;
	}
	g.size = info->args[0];
	if (g.size < BOOT_MIN_MEM || g.size > VMM_MAX_MEM || (g.size & (BIG_PAGE - 1)))
		vmm_fail("guest memory (args[0]) not a 2 MiB multiple in [96 MiB, 3 GiB]", NULL);
	base = align_up(end, BIG_PAGE);
	if (base < info->free_start || !rt_range_ok(base, g.size, info->mem_size))
		vmm_fail("guest memory does not fit in my free memory", NULL);
	g.base = (uint8_t *)(uintptr_t)base;
}

/* As the root does for a guest at depth 1: the reset state, then Linux's 64-bit entry. */
static void boot_state(const struct boot_entry *e)
{
	if (hc_vcpu_get((uint64_t)g.vcpu, &gstate) < 0) {
		/* No reset state to start from: the architectural defaults. */
		rt_memset(&gstate, 0, sizeof(gstate));
		gstate.tr.limit = 0xffff;
		gstate.tr.type = 0xb;
		gstate.tr.present = 1;
		gstate.ldt.limit = 0xffff;
		gstate.ldt.type = 0x2;
		gstate.ldt.present = 1;
		gstate.idt.limit = 0xffff;
	}
	boot_entry_state(e, &gstate);
}

static void start_guest(const struct rp_boot_info *info)
{
	struct boot_mem mem = {.ctx = &g, .gpa_ptr = guest_ptr};
	struct boot_config bc = {0};
	static struct boot_device devs[VDEV_KINDS];
	struct rp_dev found[VDEV_KINDS];
	struct boot_entry e;
	const char *why = "?";

	carve(info);
	rt_memcpy(cmdline, info->cmdline, sizeof(info->cmdline));
	cmdline[sizeof(cmdline) - 1] = 0;
	bc.mem = g.size;
	g.ncpus = info->ncpus ? info->ncpus : 1;
	if (g.ncpus > RP_MAX_VCPUS)
		vmm_fail("more guest vCPUs (ncpus) than 8", NULL);
	bc.ncpus = g.ncpus;
	bc.kernel = (const void *)(uintptr_t)info->payload[0].gpa;
	bc.kernel_size = info->payload[0].size;
	if (info->npayload > 1 && info->payload[1].size) {
		bc.initrd = (const void *)(uintptr_t)info->payload[1].gpa;
		bc.initrd_size = info->payload[1].size;
	}
	bc.cmdline = cmdline;
	bc.ndevs = vdev_start_all(info, "vmm", BOOT_MMIO_BASE, BOOT_MMIO_STRIDE, BOOT_FIRST_GSI,
				  guest_dev_ptr, &g, WR_DEV_ALL, found);
	for (unsigned k = 0; k < bc.ndevs; k++) {
		devs[k].base = found[k].base;
		devs[k].gsi = BOOT_FIRST_GSI + k;
	}
	if (bc.ndevs)
		bc.devs = devs;
	if (boot_linux(&mem, &bc, &e, &why))
		vmm_fail("kernel refused", why);
	g.vm = hc_vm_create(RP_VM_IRQCHIP);
	if (g.vm < 0)
		vmm_fail("RP_HC_VM_CREATE(IRQCHIP) refused", NULL);
	vdev_irq_source(UART_IRQ, &uart_level, 0);
	vdev_set_vm(g.vm, true);
	if (hc_vm_map((uint64_t)g.vm, 0, gpa_of(g.base), g.size, RP_MAP_R | RP_MAP_W | RP_MAP_X) <
	    0)
		vmm_fail("RP_HC_VM_MAP refused", NULL);
	g.vcpu = hc_vcpu_create((uint64_t)g.vm);
	if (g.vcpu < 0)
		vmm_fail("RP_HC_VCPU_CREATE refused", NULL);
	boot_state(&e);
	if (hc_vcpu_set((uint64_t)g.vcpu, &gstate) < 0)
		vmm_fail("RP_HC_VCPU_SET refused", NULL);
	/* The others wait in KVM for the boot CPU's INIT and SIPI (the MADT lists them). */
	for (unsigned i = 1; i < g.ncpus; i++) {
		int64_t ap = hc_vcpu_create((uint64_t)g.vm);

		if (ap < 0)
			vmm_fail("RP_HC_VCPU_CREATE refused (a guest vCPU after the first)", NULL);
		if (hc_vcpu_start((uint64_t)ap) < 0)
			vmm_fail("RP_HC_VCPU_START refused", NULL);
	}
	uart_init(&uart, uart_put, uart_irq, &g);
}

static uint32_t size_mask(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

static void guest_out(uint16_t port, unsigned size, uint32_t v)
{
	uint8_t b = (uint8_t)v;

	if (port >= UART_BASE && port < UART_BASE + UART_PORTS) {
		if (size == 1)
			uart_io(&uart, port, &b, true);
		return;
	}
	if (port == BOOT_SLEEP_PORT && (b & 0x20) && ((b >> 2) & 7) == BOOT_SLEEP_TYP_S5)
		vmm_end(CODE_POWEROFF);
	if (port == BOOT_RESET_PORT && b == BOOT_RESET_VALUE)
		vmm_end(CODE_RESET);
	if (port == I8042_CMD && b == I8042_RESET)
		vmm_end(CODE_RESET);
}

static uint32_t guest_in(uint16_t port, unsigned size)
{
	uint8_t b;

	if (port >= UART_BASE && port < UART_BASE + UART_PORTS) {
		if (size != 1)
			return size_mask(size);
		uart_io(&uart, port, &b, false);
		return b;
	}
	switch (port) {
	case I8042_CMD: /* status: no data, input buffer empty */
	case I8042_DATA:
	case 0x80: /* POST diagnostics */
	case 0x70: /* CMOS: reads as zero */
	case 0x71:
		return 0;
	default: /* PCI configuration (0xcf8, 0xcfc) and the rest: all-ones */
		return size_mask(size);
	}
}

static void guest_io(struct rp_exit *ex)
{
	unsigned size = ex->u.io.size;

	if (size != 1 && size != 2 && size != 4)
		size = 4;
	if (ex->u.io.count != 1)
		log_odd("string port I/O at", ex->u.io.port);
	if (ex->u.io.out)
		guest_out(ex->u.io.port, size, (uint32_t)ex->u.io.data);
	else
		ex->u.io.data = guest_in(ex->u.io.port, size);
}

int64_t vmm_guest_vcpu(void)
{
	return g.vm > 0 && g.vcpu > 0 ? g.vcpu : -1;
}

void vmm_main(const struct rp_boot_info *info)
{
	vmm_run(info, NULL);
}

void vmm_run(const struct rp_boot_info *info, vmm_console_fn *on_console)
{
	uint64_t who;

	console_hook = on_console;
	start_guest(info);
	for (;;) {
		/* the vCPU whose exit we answer: the record names a started one */
		who = gexit.vcpu ? gexit.vcpu : (uint64_t)g.vcpu;
		if (vdev_run(who, &gexit) < 0) {
			hc_log("vmm: RP_HC_VCPU_RUN refused");
			hc_exit(LAYER_CODE_DEAD);
		}
		switch (gexit.reason) {
		case RP_EXIT_IO:
			guest_io(&gexit);
			break;
		case RP_EXIT_MMIO:
			if (vdev_dispatch(gexit.u.mmio.addr, gexit.u.mmio.data, gexit.u.mmio.len,
					  gexit.u.mmio.is_write))
				break;
			if (!gexit.u.mmio.is_write)
				rt_memset(gexit.u.mmio.data, 0xff, sizeof(gexit.u.mmio.data));
			break;
		case RP_EXIT_EVENT:
			if (gexit.u.event.events & RP_EV_NET)
				vdev_poll_all();
			break;
		case RP_EXIT_SHUTDOWN:
			hc_log("vmm: guest triple fault");
			vmm_end(CODE_CRASH);
		case RP_EXIT_HALT:
			hc_log("vmm: guest halted with interrupts off");
			vmm_end(CODE_POWEROFF);
		default: {
			struct line l = {.len = 0};

			line_str(&l, "vmm: guest ended, reason ");
			line_dec(&l, gexit.reason);
			line_send(&l);
			vmm_end(CODE_CRASH);
		}
		}
	}
}
