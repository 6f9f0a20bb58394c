/* SPDX-License-Identifier: MIT */
/*
 * The layer kernel's entry (include/rampart/abi.h, "How a layer starts"):
 * 64-bit, CPL 3, rdi = the boot info, rsp not set. Load our own stack, call
 * layer_main(info), and end with RP_HC_EXIT(its result). The stack
 * protector's guard needs no setting up: it is the boot info's canary,
 * already in place (layer.ld, guard.c).
 */
#define RP_HC_PORT 0x0510 /* abi.h: kept equal by a _Static_assert in hc.c */
#define RP_HC_EXIT 12

	.section .text.start, "ax"
	.globl _start
	.type _start, @function
_start:
	mov $layer_stack_top, %rsp
	xor %ebp, %ebp
	call layer_main
	mov %rax, %rdi
1:	mov $RP_HC_EXIT, %eax
	mov $RP_HC_PORT, %dx
	out %eax, %dx
	jmp 1b
	.size _start, . - _start

	.bss
	.balign 16
layer_stack:
	.skip 65536
layer_stack_top:

	.section .note.GNU-stack, "", @progbits
