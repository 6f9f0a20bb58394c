/* SPDX-License-Identifier: MIT */
/*
 * The layer's side of the hypercall ABI (include/rampart/abi.h): eax = call
 * number, arguments in rdi, rsi, r8, r9, r10, `out %eax, %dx` to RP_HC_PORT,
 * result in rax. Every address passed is a guest-physical address; the layer
 * runs identity-mapped, so a pointer to its own memory is one.
 *
 * Also the port I/O a layer does at CPL 3 (the TSS I/O bitmap allows every
 * port): each one exits to the layer's parent.
 */
#ifndef RAMPART_LAYER_HC_H
#define RAMPART_LAYER_HC_H

#include <stdint.h>

#include "rampart/abi.h"

static inline int64_t hc5(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
			  uint64_t a4)
{
	register uint64_t r8 __asm__("r8") = a2;
	register uint64_t r9 __asm__("r9") = a3;
	register uint64_t r10 __asm__("r10") = a4;
	uint64_t rax = nr;

	__asm__ volatile("out %%eax, %%dx"
			 : "+a"(rax)
			 : "d"((uint16_t)RP_HC_PORT), "D"(a0), "S"(a1), "r"(r8), "r"(r9), "r"(r10)
			 : "memory");
	return (int64_t)rax;
}

static inline uint64_t gpa_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static inline int64_t hc_version(void)
{
	return hc5(RP_HC_VERSION, 0, 0, 0, 0, 0);
}

static inline int64_t hc_vm_create(uint64_t flags)
{
	return hc5(RP_HC_VM_CREATE, flags, 0, 0, 0, 0);
}

static inline int64_t hc_vm_map(uint64_t vm, uint64_t child_gpa, uint64_t my_gpa, uint64_t size,
				uint64_t rights)
{
	return hc5(RP_HC_VM_MAP, vm, child_gpa, my_gpa, size, rights);
}

static inline int64_t hc_vcpu_create(uint64_t vm)
{
	return hc5(RP_HC_VCPU_CREATE, vm, 0, 0, 0, 0);
}

static inline int64_t hc_vcpu_start(uint64_t vcpu)
{
	return hc5(RP_HC_VCPU_START, vcpu, 0, 0, 0, 0);
}

static inline int64_t hc_vcpu_set(uint64_t vcpu, const struct rp_vcpu_state *st)
{
	return hc5(RP_HC_VCPU_SET, vcpu, gpa_of(st), 0, 0, 0);
}

static inline int64_t hc_vcpu_get(uint64_t vcpu, struct rp_vcpu_state *st)
{
	return hc5(RP_HC_VCPU_GET, vcpu, gpa_of(st), 0, 0, 0);
}

static inline int64_t hc_vcpu_run(uint64_t vcpu, struct rp_exit *ex)
{
	return hc5(RP_HC_VCPU_RUN, vcpu, gpa_of(ex), 0, 0, 0);
}

static inline int64_t hc_vm_destroy(uint64_t vm)
{
	return hc5(RP_HC_VM_DESTROY, vm, 0, 0, 0, 0);
}

static inline int64_t hc_log_raw(const char *text, uint64_t len)
{
	return hc5(RP_HC_LOG, gpa_of(text), len, 0, 0, 0);
}

static inline __attribute__((noreturn)) void hc_exit(uint64_t code)
{
	for (;;)
		hc5(RP_HC_EXIT, code, 0, 0, 0, 0);
}

/* One line to the root's event log (no format: see lib.h for numbers). */
void hc_log(const char *text);

/* Port I/O of size 1, 2 or 4 bytes (anything else is treated as 4). */
static inline void port_out(uint16_t port, unsigned size, uint32_t v)
{
	if (size == 1)
		__asm__ volatile("outb %b0, %w1" : : "a"((uint8_t)v), "Nd"(port) : "memory");
	else if (size == 2)
		__asm__ volatile("outw %w0, %w1" : : "a"((uint16_t)v), "Nd"(port) : "memory");
	else
		__asm__ volatile("outl %0, %w1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint32_t port_in(uint16_t port, unsigned size)
{
	uint32_t v = 0;

	if (size == 1) {
		uint8_t b;
		__asm__ volatile("inb %w1, %b0" : "=a"(b) : "Nd"(port) : "memory");
		v = b;
	} else if (size == 2) {
		uint16_t w;
		__asm__ volatile("inw %w1, %w0" : "=a"(w) : "Nd"(port) : "memory");
		v = w;
	} else {
		__asm__ volatile("inl %w1, %0" : "=a"(v) : "Nd"(port) : "memory");
	}
	return v;
}

#endif
