/* SPDX-License-Identifier: MIT */
/*
 * The vCPU loop: KVM_RUN, then the exit. Port I/O and MMIO go to the
 * serial port, the virtio devices and the power registers; anything else
 * the guest touches reads as all-ones and is logged once. No exit of the
 * guest's making ends the root by a crash: each ends in a recorded outcome.
 */
#include "root/vm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "root/jail.h"
#include "root/log.h"

#define I8042_DATA 0x60
#define I8042_CMD 0x64
#define I8042_RESET 0xfe
#define UNKNOWN_LOG_MAX 16 /* refusals logged per run, to keep a noisy guest from filling logs */

static unsigned unknown_logged;

static void log_unknown(const char *what, uint64_t addr, unsigned size, bool write)
{
	if (unknown_logged >= UNKNOWN_LOG_MAX)
		return;
	if (++unknown_logged == UNKNOWN_LOG_MAX)
		log_event("unhandled_access", "what", 's', "further accesses not logged", NULL);
	else
		log_event("unhandled_access", "what", 's', what, "addr", 'x', addr, "size", 'u',
			  (uint64_t)size, "dir", 's', write ? "write" : "read", NULL);
}

static void port_io(struct rp_vm *vm, uint16_t port, uint8_t *data, unsigned size, bool write)
{
	if (port >= SERIAL_BASE && port < SERIAL_BASE + SERIAL_PORTS && size == 1) {
		serial_io(&vm->serial, port, data, write);
		return;
	}
	if (write) {
		if (port == BOOT_SLEEP_PORT && (*data & 0x20) && ((*data >> 2) & 7) == BOOT_SLEEP_TYP_S5)
			vm_end(vm, RP_POWEROFF, "guest powered off");
		else if (port == BOOT_RESET_PORT && *data == BOOT_RESET_VALUE)
			vm_end(vm, RP_RESET, "guest reset (ACPI reset register)");
		else if (port == I8042_CMD && *data == I8042_RESET)
			vm_end(vm, RP_RESET, "guest reset (keyboard controller)");
		return;
	}
	memset(data, 0xff, size);
	switch (port) {
	case I8042_CMD: /* status: no data, input buffer empty */
	case I8042_DATA:
		*data = 0;
		break;
	case 0x80: /* POST diagnostics */
	case 0x70: /* CMOS: reads as zero */
	case 0x71:
		memset(data, 0, size);
		break;
	case 0xcf8: /* PCI configuration: no bus, reads all-ones */
	case 0xcfc:
		break;
	default:
		if (port != BOOT_SLEEP_PORT + 1)
			log_unknown("port", port, size, write);
	}
}

static void handle_io(struct rp_vm *vm, struct kvm_run *run)
{
	uint8_t *p = (uint8_t *)run + run->io.data_offset;
	uint32_t i;

	for (i = 0; i < run->io.count; i++, p += run->io.size)
		port_io(vm, run->io.port, p, run->io.size, run->io.direction == KVM_EXIT_IO_OUT);
}

static void handle_mmio(struct rp_vm *vm, struct kvm_run *run)
{
	uint64_t addr = run->mmio.phys_addr;
	unsigned len = run->mmio.len;

	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	if (devices_mmio(vm, addr, run->mmio.data, len, run->mmio.is_write))
		return;
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, len);
	log_unknown("mmio", addr, len, run->mmio.is_write);
}

static void handle_exit(struct rp_vcpu *cpu)
{
	struct rp_vm *vm = cpu->vm;
	struct kvm_run *run = cpu->run;

	cpu->exits++;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		cpu->exits_pio++;
		handle_io(vm, run);
		break;
	case KVM_EXIT_MMIO:
		cpu->exits_mmio++;
		handle_mmio(vm, run);
		break;
	case KVM_EXIT_SHUTDOWN:
		vm_end(vm, RP_CRASH, "guest triple fault (vCPU %u shut down)", cpu->id);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
			vm_end(vm, RP_POWEROFF, "guest powered off");
		else if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			vm_end(vm, RP_RESET, "guest reset");
		else
			vm_end(vm, RP_CRASH, "guest system event %u", run->system_event.type);
		break;
	case KVM_EXIT_HLT:
		vm_end(vm, RP_POWEROFF, "guest halted with interrupts off");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		vm_end(vm, RP_INTERNAL, "KVM could not enter the guest (hardware reason 0x%llx)",
		       (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		vm_end(vm, RP_INTERNAL, "KVM internal error, suberror %u", run->internal.suberror);
		break;
	default:
		vm_end(vm, RP_INTERNAL, "unexpected KVM exit %u", run->exit_reason);
	}
}

static void *vcpu_thread(void *arg)
{
	struct rp_vcpu *cpu = arg;
	struct rp_vm *vm = cpu->vm;

	while (vm->outcome == RP_RUNNING) {
		if (ioctl(cpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				cpu->run->immediate_exit = 0;
				continue;
			}
			vm_end(vm, RP_INTERNAL, "KVM_RUN on vCPU %u: %s", cpu->id, strerror(errno));
			break;
		}
		handle_exit(cpu);
	}
	return NULL;
}

/* vCPUs 1..n: each in its own thread, under the vCPU threads' list. */
static void *vcpu_thread_start(void *arg)
{
	jail_thread(JAIL_VCPU);
	return vcpu_thread(arg);
}

/* The kick: interrupt KVM_RUN; immediate_exit was set by whoever sent it. */
static void on_kick(int sig)
{
}

static struct rp_vm *signal_vm;

static void on_stop(int sig)
{
	if (signal_vm)
		vm_end(signal_vm, RP_SIGNAL, "stopped by signal %d", sig);
}

static void install_signals(struct rp_vm *vm)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;
	sigaction(SIGUSR1, &sa, NULL);
	signal_vm = vm;
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int vm_run(struct rp_vm *vm)
{
	unsigned i;
	int err;

	install_signals(vm);
	vm->vcpus[0].thread = pthread_self();
	for (i = 1; i < vm->ncpus; i++) {
		err = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread_start, &vm->vcpus[i]);
		if (err) {
			vm_end(vm, RP_ERROR, "vCPU thread: %s", strerror(err));
			break;
		}
	}
	if (vm->outcome == RP_RUNNING)
		vcpu_thread(&vm->vcpus[0]);
	for (i = 1; i < vm->ncpus; i++)
		if (vm->vcpus[i].thread)
			pthread_join(vm->vcpus[i].thread, NULL);
	return vm->outcome;
}
