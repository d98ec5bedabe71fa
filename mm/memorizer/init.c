// SPDX-License-Identifier: GPL-2.0
/*
 * The recorder's boot-time setup: from mm_init(), while memblock still
 * hands out memory and before the slab allocator exists, reserve the pool
 * and the tables, start the parts that keep state, and record what
 * memblock had reserved before the recorder existed.  From then on, every
 * allocation can be recorded (core.c); nothing is reserved later.
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/init.h>
#include <linux/log2.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include "memorizer.h"

#define MZ_NAMES_COMMS	4096
#define MZ_NAMES_CACHES	1024

static unsigned long mz_meta_bytes;
static DEFINE_PER_CPU(struct mz_pool_cache, mz_pool_pcp);

/* All the memory the recorder reserved: pool, table buckets, names. */
unsigned long mz_metadata_bytes(void)
{
	return mz_meta_bytes;
}

static void __init mz_record_reserved(enum memorizer_type type,
				      unsigned long va, unsigned long size)
{
	struct mz_obj *o;

	if (!size)
		return;
	o = mz_record(type, va, size, 0, 0);
	if (o) {
		o->pid = 0;
		mz_map_pages(PFN_DOWN(__pa(va)),
			     PFN_UP(__pa(va) + size) - PFN_DOWN(__pa(va)), o);
	}
}

/*
 * The regions memblock reserved before the recorder existed.  memblock
 * merges adjacent reservations, so the pool is cut out of the region that
 * holds it: accesses to what lies around it are not the recorder's.
 */
static void __init mz_record_memblock(void *pool_base)
{
	unsigned long pool = (unsigned long)pool_base, pool_end = pool + mz_pool_bytes;
	phys_addr_t start, end;
	u64 i;

	for_each_reserved_mem_range(i, &start, &end) {
		unsigned long va = (unsigned long)phys_to_virt(start);
		unsigned long va_end = va + (end - start);

		if (pool < va || pool >= va_end) {
			mz_record_reserved(MZ_MEM_MEMBLOCK, va, va_end - va);
			continue;
		}
		mz_record_reserved(MZ_MEM_MEMBLOCK, va, pool - va);
		mz_record_reserved(MZ_MEM_MEMORIZER, pool, min(pool_end, va_end) - pool);
		if (pool_end < va_end)
			mz_record_reserved(MZ_MEM_MEMBLOCK, pool_end, va_end - pool_end);
	}
}

/**
 * memorizer_init - reserve the recorder's memory and start recording
 *
 * Called from mm_init() while memblock still hands out memory, before the
 * slab allocator exists, so that every slab allocation can be recorded.
 */
void __init memorizer_init(void)
{
	unsigned long mem = memblock_phys_mem_size(), slots;
	unsigned int bits;
	void *base, *names;
	struct mz_obj **buckets;
	struct mz_acc **cbuckets;

	if (mz_pool_size(mz_pool_bytes, mem) < round_down(mz_pool_bytes, PAGE_SIZE))
		pr_warn("memalloc_size=%luM is over a quarter of memory or %lu slots; using %luM\n",
			mz_pool_bytes >> 20, MZ_POOL_MAX_SLOTS,
			mz_pool_size(mz_pool_bytes, mem) >> 20);
	mz_pool_bytes = mz_pool_size(mz_pool_bytes, mem);
	slots = mz_pool_bytes / MZ_SLOT_SIZE;
	bits = slots > 4 ? ilog2(slots) - 1 : 1;
	base = memblock_alloc(mz_pool_bytes, PAGE_SIZE);
	buckets = memblock_alloc(sizeof(*buckets) << bits, PAGE_SIZE);
	cbuckets = memblock_alloc(sizeof(*cbuckets) << bits, PAGE_SIZE);
	names = memblock_alloc((MZ_NAMES_COMMS + MZ_NAMES_CACHES) *
			       (MZ_NAME_LEN + sizeof(u32)), PAGE_SIZE);
	if (!base || !buckets || !cbuckets || !names) {
		pr_err("cannot reserve %lu bytes; recorder disabled\n", mz_pool_bytes);
		return;
	}
	BUILD_BUG_ON(sizeof(struct mz_obj) != MZ_SLOT_SIZE);
	BUILD_BUG_ON(sizeof(struct mz_acc) != MZ_SLOT_SIZE);
	BUILD_BUG_ON(offsetof(struct mz_acc, state) != offsetof(struct mz_obj, state));
	mz_meta_bytes = mz_pool_bytes + (sizeof(*buckets) << bits) * 2 +
			(MZ_NAMES_COMMS + MZ_NAMES_CACHES) * (MZ_NAME_LEN + sizeof(u32));
	mz_pool_init(&mz_pool, base, mz_pool_bytes, &mz_pool_pcp);
	mz_reserves_init();
	mz_table_init(&mz_table, buckets, bits);
	mz_ctab_init(&mz_ctab, cbuckets, bits);
	mz_names_init(&mz_comms, names, names + MZ_NAMES_COMMS * MZ_NAME_LEN +
		      MZ_NAMES_CACHES * MZ_NAME_LEN, MZ_NAMES_COMMS);
	mz_names_init(&mz_caches, names + MZ_NAMES_COMMS * MZ_NAME_LEN,
		      names + (MZ_NAMES_COMMS + MZ_NAMES_CACHES) * MZ_NAME_LEN +
		      MZ_NAMES_COMMS * sizeof(u32), MZ_NAMES_CACHES);
	mz_context_init();
	mz_pagemap_init();
	mz_globals_init();
	mz_resolve_init();
	mz_access_init();
	mz_stream_init();
	mz_retire_init();
	mz_meta_bytes += mz_pagemap_meta_bytes() + mz_globals_meta_bytes() +
			 mz_stream_meta_bytes() + mz_retire_meta_bytes();
	WRITE_ONCE(mz_ready, true);
	mz_record_memblock(base);
	WRITE_ONCE(mz_enabled, mz_boot_enabled);
	pr_info("pool of %lu MiB (%lu descriptors of %d bytes), %u table buckets, recording %s\n",
		mz_pool_bytes >> 20, slots, MZ_SLOT_SIZE, 1U << bits,
		mz_boot_enabled ? "on" : "off");
}
