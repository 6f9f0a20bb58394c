/* SPDX-License-Identifier: MIT */
/*
 * The boot info of a policy-carrying layer, split once for every such
 * kind (fwl.c, wrl.c). Every payload is checked to lie in the layer's own
 * memory above its image base before any is used.
 */
#include "layer/policy.h"

#include "lib/rt.h"

#define PAGE 0x1000ULL

const char *policy_split(const struct rp_boot_info *info, struct rp_boot_info *own,
			 const struct rp_blob **policy, uint64_t *end)
{
	*end = info->free_start;
	if (info->npayload < 2 || info->npayload > RP_MAX_PAYLOAD ||
	    rt_memcmp(info->payload[0].kind, "policy", 7))
		return "no policy blob before my child's image";
	for (unsigned i = 0; i < info->npayload; i++) {
		const struct rp_blob *b = &info->payload[i];

		if (b->gpa < RP_IMAGE_BASE || !rt_range_ok(b->gpa, b->size, info->mem_size))
			return "a payload outside my memory";
		if (b->gpa + b->size > *end)
			*end = b->gpa + b->size;
	}
	*policy = &info->payload[0];
	if (((*policy)->gpa & (PAGE - 1)) || !(*policy)->size)
		return "the policy blob is not page aligned";
	rt_memcpy(own, info, sizeof(*own));
	own->npayload = info->npayload - 1;
	for (unsigned i = 0; i < own->npayload; i++)
		own->payload[i] = info->payload[i + 1];
	rt_memset(&own->payload[own->npayload], 0, sizeof(own->payload[0]));
	return NULL;
}
