// SPDX-License-Identifier: GPL-2.0
/*
 * The page map: one u32 per page frame naming the page-level object that
 * owns it (pages, a vmalloc area's pages, memblock regions) by its pool
 * slot, plus one.  It costs 4 bytes per 4 KiB of memory, whatever the
 * number of objects, and answers the access path's lookups outside the
 * slabs: in the direct map, a slab page names its cache, so the object's
 * start is nearest_obj() and the object table gives its descriptor; any
 * other frame is found here, with a large kmalloc nested at its start.
 * In vmalloc and module space the kernel page tables give the frame.
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include "../slab.h"
#include "memorizer.h"

static u32 *mz_page_map;		/* pfn -> 1 + pool slot index */
unsigned long mz_page_map_pfns __read_mostly;

static inline struct mz_obj *mz_slot_obj(u32 v)
{
	return v ? mz_pool_slot(&mz_pool, v - 1) : NULL;
}

/*
 * Page frames [@pfn, @pfn + @nr) belong to the page-level object @o.
 * Return: whether a frame still named another object (memory memblock
 * reserved and then gave to the page allocator, a vmalloc area's pages):
 * it changes hands without a free the recorder saw, so hit cache entries
 * may be stale.
 */
static bool mz_map_range(unsigned long pfn, unsigned long nr, struct mz_obj *o)
{
	u32 v = mz_slot_of(o) + 1, old;
	bool stale = false;

	for (; nr && pfn < mz_page_map_pfns; nr--, pfn++) {
		old = READ_ONCE(mz_page_map[pfn]);
		stale |= old && old != v;
		WRITE_ONCE(mz_page_map[pfn], v);
	}
	return stale;
}

void mz_map_pages(unsigned long pfn, unsigned long nr, struct mz_obj *o)
{
	if (mz_map_range(pfn, nr, o))
		arch_atomic_inc(&mz_gen);
}

/*
 * Page frames [@pfn, @pfn + @nr) are free again, and the objects the
 * frees were for are closed.  A frame that names an object still live
 * belonged to a cover that is not the one freed (a memblock region whose
 * pages the page allocator got back, initrd or init memory): hit cache
 * entries may still charge it for those frames, so they are made stale.
 */
void mz_unmap_pages(unsigned long pfn, unsigned long nr)
{
	bool stale = false;
	u32 old;

	for (; nr && pfn < mz_page_map_pfns; nr--, pfn++) {
		old = READ_ONCE(mz_page_map[pfn]);
		if (!old)
			continue;
		/* pairs with the release that published the descriptor */
		stale |= smp_load_acquire(&mz_slot_obj(old)->state) == MZ_LIVE;
		WRITE_ONCE(mz_page_map[pfn], 0);
	}
	if (stale)
		arch_atomic_inc(&mz_gen);
}

/* The frame a kernel virtual address outside the direct map maps, or 0. */
static unsigned long mz_kernel_pfn(unsigned long addr)
{
	pgd_t *pgd = pgd_offset_k(addr);
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;
	pte_t pte;

	if (pgd_none(READ_ONCE(*pgd)))
		return 0;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(READ_ONCE(*p4d)))
		return 0;
	pud = pud_offset(p4d, addr);
	if (pud_none(READ_ONCE(*pud)))
		return 0;
	if (pud_leaf(READ_ONCE(*pud)))
		return pud_pfn(*pud) + ((addr & ~PUD_MASK) >> PAGE_SHIFT);
	pmd = pmd_offset(pud, addr);
	if (pmd_none(READ_ONCE(*pmd)))
		return 0;
	if (pmd_leaf(READ_ONCE(*pmd)))
		return pmd_pfn(*pmd) + ((addr & ~PMD_MASK) >> PAGE_SHIFT);
	pte = READ_ONCE(*pte_offset_kernel(pmd, addr));
	return pte_present(pte) ? pte_pfn(pte) : 0;
}

/* A vmalloc area's pages belong to it while it lives. */
void mz_map_vmalloc(struct mz_obj *o)
{
	unsigned long a, pfn;
	bool stale = false;

	for (a = o->va; a < o->va + mz_obj_size(o); a += PAGE_SIZE) {
		pfn = mz_kernel_pfn(a);
		if (pfn)
			stale |= mz_map_range(pfn, 1, o);
	}
	/* once per area: each bump empties every CPU's hit cache */
	if (stale)
		arch_atomic_inc(&mz_gen);
}

static inline bool mz_covers(struct mz_obj *o, unsigned long addr)
{
	if (!o || addr - o->va >= mz_obj_size(o))
		return false;
	/* pairs with the release that published the descriptor */
	return smp_load_acquire(&o->state) == MZ_LIVE;
}

/*
 * pfn_valid() without its rcu_read_lock_sched(), whose lockdep hooks would
 * cost more than the rest of the lookup: preemption is already off.
 */
static inline bool mz_pfn_valid(unsigned long pfn)
{
	struct mem_section *ms;

	if (pfn_to_section_nr(pfn) >= NR_MEM_SECTIONS)
		return false;
	ms = __pfn_to_section(pfn);
	return valid_section(ms) && (early_section(ms) || pfn_section_valid(ms, pfn));
}

/*
 * In the direct map: a slab object, or the large kmalloc or pages owning
 * the frame.
 */
struct mz_obj *mz_find_direct(unsigned long addr)
{
	unsigned long pfn = (addr - PAGE_OFFSET) >> PAGE_SHIFT;
	struct mz_obj *o, *n;
	struct folio *folio;

	if (pfn >= mz_page_map_pfns || !mz_pfn_valid(pfn))
		return NULL;
	folio = page_folio(pfn_to_page(pfn));
	if (folio_test_slab(folio)) {
		struct slab *slab = folio_slab(folio);
		struct kmem_cache *s = READ_ONCE(slab->slab_cache);
		void *start;

		if (s) {
			start = nearest_obj(s, slab, (void *)addr);
			o = mz_table_lookup(&mz_table, (unsigned long)start, true);
			if (mz_covers(o, addr))
				return o;
		}
	}
	o = mz_slot_obj(READ_ONCE(mz_page_map[pfn]));
	if (!mz_covers(o, addr))
		return NULL;
	if (READ_ONCE(o->new_type) == MZ_MEM_KMALLOC && !folio_test_slab(folio)) {
		n = mz_table_lookup(&mz_table, o->va, true);
		if (mz_covers(n, addr))
			return n;
	}
	return o;
}

/* In vmalloc or module space: the area owning the mapped frame. */
struct mz_obj *mz_find_vmalloc(unsigned long addr)
{
	unsigned long pfn = mz_kernel_pfn(addr);
	struct mz_obj *o;

	if (!pfn || pfn >= mz_page_map_pfns)
		return NULL;
	o = mz_slot_obj(READ_ONCE(mz_page_map[pfn]));
	return mz_covers(o, addr) ? o : NULL;
}

/* Memory the page map took at boot. */
unsigned long mz_pagemap_meta_bytes(void)
{
	return mz_page_map_pfns * sizeof(u32);
}

/**
 * mz_pagemap_init - reserve the page map
 *
 * Called from memorizer_init() while memblock hands out memory.
 */
void __init mz_pagemap_init(void)
{
	mz_page_map_pfns = max_pfn;
	mz_page_map = memblock_alloc(mz_page_map_pfns * sizeof(u32), PAGE_SIZE);
	if (!mz_page_map) {
		pr_err("no memory for the page map\n");
		mz_page_map_pfns = 0;
	}
}
