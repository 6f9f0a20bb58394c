/* SPDX-License-Identifier: MIT */
/*
 * The tree of a layered stack: its VMs (nodes), their vCPUs, their maps
 * (KVM memory slots) and the pieces a seal cuts a map into, and the
 * handles by which a layer names its children.
 *
 * Invariants this file keeps (numbered as in ln.h's index):
 *  1. Flattened: every VM of the tree is a sibling KVM VM created here; a
 *     child's memory is a KVM memory slot onto the same host pages as a
 *     range of its parent's memory. Nothing is copied.
 *  3. Handles name only the caller's own children (per-caller tables), so a
 *     layer can never reach a sibling, an ancestor or a grandchild.
 *  7. Destroying a VM destroys its subtree and frees every fd and mapping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/rt.h"
#include "root/ln.h"

/* ---- memory: the caller's view ------------------------------------------- */

/* n's map that holds gpa, or NULL. */
struct ln_map *ln_map_at(struct ln_node *n, uint64_t gpa)
{
	for (unsigned i = 0; i < n->nmaps; i++)
		if (gpa >= n->maps[i].gpa && gpa - n->maps[i].gpa < n->maps[i].size)
			return &n->maps[i];
	return NULL;
}

/*
 * Host pointer for [gpa, gpa + len) of n, where every map it crosses has
 * `rights` and follows the one before in both guest and host addresses
 * (the pieces a seal split a map into), or NULL. Nothing below
 * RP_IMAGE_BASE of a ring-3 VM is writable on its behalf: its page tables
 * and ring-0 stack are writable in its slot for the CPU alone.
 */
uint8_t *ln_node_ptr(struct ln_node *n, uint64_t gpa, uint64_t len, uint32_t rights)
{
	struct ln_map *first = ln_map_at(n, gpa), *m, *next;
	uint64_t end;

	if (!first || !rt_add_ok(gpa, len, &end))
		return NULL;
	if ((rights & RP_MAP_W) && !n->irqchip && gpa < RP_IMAGE_BASE)
		return NULL;
	for (m = first; (m->rights & rights) == rights; m = next) {
		if (end - m->gpa <= m->size)
			return first->host + (gpa - first->gpa);
		next = ln_map_at(n, m->gpa + m->size);
		if (!next || next->host != m->host + m->size)
			return NULL;
	}
	return NULL;
}

/* ---- nodes and vCPUs --------------------------------------------------------- */

/* A new VM of the tree: a sibling KVM VM of all the others (invariant 1). */
struct ln_node *ln_node_new(struct ln_root *r, struct ln_node *parent, bool layer)
{
	struct ln_node *n;

	if (r->nodes >= LN_MAX_VMS)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->vm_fd = kvm_ioctl(r->kvm_fd, KVM_CREATE_VM, 0, NULL);
	if (n->vm_fd < 0) {
		free(n);
		return NULL;
	}
	n->parent = parent;
	n->depth = parent ? parent->depth + 1 : 1;
	n->layer = layer;
	snprintf(n->name, sizeof(n->name), "L%u#%u", n->depth, ++r->next_id);
	r->nodes++;
	return n;
}

static void vcpu_free(struct ln_vcpu *v)
{
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	free(v);
}

/* n and its whole subtree: every vCPU, fd and VM (invariant 7). */
void ln_node_free(struct ln_root *r, struct ln_node *n)
{
	unsigned i;

	for (i = 0; i < RP_MAX_CHILDREN; i++)
		if (n->children[i])
			ln_node_free(r, n->children[i]);
	for (i = 0; n->parent && i < LOG_KINDS; i++)
		n->parent->log_dropped[i] += n->log_dropped[i]; /* reported as its creator's */
	for (i = 0; i < n->nvcpus; i++) /* their threads first: nothing runs what goes */
		ln_ap_stop(r, n->vcpus[i]);
	for (i = 0; i < n->nvcpus; i++)
		vcpu_free(n->vcpus[i]);
	r->nvcpus -= n->kvm_ids; /* every vCPU KVM held for it */
	close(n->vm_fd);
	free(n);
	r->nodes--;
}

bool ln_in_subtree(const struct ln_node *n, const struct ln_node *top)
{
	for (; n; n = n->parent)
		if (n == top)
			return true;
	return false;
}

struct ln_vcpu *ln_vcpu_new(struct ln_root *r, struct ln_node *n)
{
	struct ln_vcpu *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->node = n;
	v->fd = kvm_ioctl(n->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)n->kvm_ids, NULL);
	if (v->fd < 0) {
		free(v);
		return NULL;
	}
	n->kvm_ids++;
	r->nvcpus++; /* from here on KVM holds it, whatever follows */
	v->run_size = r->run_size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	/*
	 * CPUID as the host's KVM supports it, for a layer as for a guest: a
	 * vCPU without a table reads zeros where KVM traps CPUID (hardware
	 * KVM), and the ids layer's Hyperscan runtime then finds no SSE4.2.
	 */
	if (v->run == MAP_FAILED || kvm_set_cpuid(r->kvm_fd, v->fd, n->kvm_ids - 1, 1)) {
		if (v->run == MAP_FAILED)
			v->run = NULL;
		vcpu_free(v);
		return NULL;
	}
	n->vcpus[n->nvcpus++] = v;
	return v;
}

/* ---- maps and their pieces ---------------------------------------------------- */

/* Add a map to n's table and to its KVM VM. */
int ln_node_map(struct ln_node *n, uint64_t gpa, uint64_t size, uint8_t *host, uint32_t rights)
{
	struct kvm_userspace_memory_region mr = {
		.slot = n->nfree ? n->free_slots[n->nfree - 1] : n->next_slot,
		.flags = (rights & RP_MAP_W) ? 0 : KVM_MEM_READONLY,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	if (n->nmaps >= LN_MAX_SLOTS ||
	    kvm_ioctl(n->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr, NULL) < 0)
		return -RP_ENOMEM;
	n->maps[n->nmaps++] = (struct ln_map){.gpa = gpa,
					      .size = size,
					      .host = host,
					      .rights = rights,
					      .slot = mr.slot,
					      .origin = gpa};
	if (n->nmaps > n->nmaps_max)
		n->nmaps_max = n->nmaps;
	if (n->nfree)
		n->nfree--;
	else
		n->next_slot++;
	return 0;
}

/* Remove map i from n's table and its KVM VM. */
int ln_node_unmap(struct ln_node *n, unsigned i)
{
	struct kvm_userspace_memory_region mr = {.slot = n->maps[i].slot};

	if (kvm_ioctl(n->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr, NULL) < 0)
		return -1;
	n->free_slots[n->nfree++] = mr.slot;
	n->maps[i] = n->maps[--n->nmaps];
	return 0;
}

/* Does m hold the host byte lo at the guest address it has where [host, ...) lies at gpa? */
bool ln_in_place(const struct ln_map *m, const uint8_t *lo, const uint8_t *host, uint64_t gpa)
{
	return m->gpa + (uint64_t)(lo - m->host) == gpa + (uint64_t)(lo - host);
}

/* A piece of map m, [from, to) of it, with rights; its origin and seal state. */
int ln_map_piece(struct ln_node *n, const struct ln_map *m, uint64_t from, uint64_t to,
		 uint32_t rights, bool unsealable)
{
	if (ln_node_map(n, m->gpa + from, to - from, m->host + from, rights))
		return -1;
	n->maps[n->nmaps - 1].origin = m->origin;
	n->maps[n->nmaps - 1].unsealable = unsealable;
	return 0;
}

/*
 * Map i of n without W on [a, b) of it: up to three pieces, the parts
 * before and after keeping their rights. On a failure the pieces go and
 * the map is put back as it was: 0, -1 (put back), -2 (lost: halt).
 */
int ln_split_map(struct ln_node *n, unsigned i, uint64_t a, uint64_t b)
{
	struct ln_map m = n->maps[i];
	unsigned had;

	if (ln_node_unmap(n, i))
		return -1;
	had = n->nmaps;
	if ((a && ln_map_piece(n, &m, 0, a, m.rights, false)) ||
	    ln_map_piece(n, &m, a, b, m.rights & ~(uint32_t)RP_MAP_W, true) ||
	    (b < m.size && ln_map_piece(n, &m, b, m.size, m.rights, false))) {
		while (n->nmaps > had)
			if (ln_node_unmap(n, n->nmaps - 1))
				return -2;
		return ln_map_piece(n, &m, 0, m.size, m.rights, m.unsealable) ? -2 : -1;
	}
	return 0;
}

/* ---- children: handles (invariant 3), interrupt lines ----------------------- */

/* VM handles: index + 1 in the caller's own table of children. */
struct ln_node *ln_child_of(struct ln_node *n, uint64_t h)
{
	return h >= 1 && h <= RP_MAX_CHILDREN ? n->children[h - 1] : NULL;
}

/* vCPU handles: (child handle << 8) | index, so they too name only our children. */
struct ln_vcpu *ln_vcpu_of(struct ln_node *n, uint64_t h)
{
	struct ln_node *c = ln_child_of(n, h >> 8);

	return c && (h & 0xff) < c->nvcpus ? c->vcpus[h & 0xff] : NULL;
}

/* Line irq of child c to level, remembered (c->lines) so that a level set
 * again costs no ioctl. */
int ln_set_line(struct ln_node *c, uint32_t irq, bool level)
{
	struct kvm_irq_level l = {.irq = irq, .level = level ? 1 : 0};

	if (kvm_ioctl(c->vm_fd, KVM_IRQ_LINE, &l, NULL) < 0)
		return -RP_EINVAL;
	c->lines = (c->lines & ~(1u << irq)) | (uint32_t)level << irq;
	return 0;
}

bool ln_has_children(const struct ln_node *n)
{
	for (unsigned i = 0; i < RP_MAX_CHILDREN; i++)
		if (n->children[i])
			return true;
	return false;
}
