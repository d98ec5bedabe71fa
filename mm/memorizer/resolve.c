// SPDX-License-Identifier: GPL-2.0
/*
 * From an address to what an access there is charged to, and over which
 * bytes that holds (the cover the hit cache may keep), by region:
 * - user space: the USER catch-all;
 * - direct map and vmalloc space: the page map (pagemap.c);
 * - kernel image: the globals KASAN registered (globals.c), else GLOBAL;
 * - module space: a module's globals (globals.c), else the memory
 *   module_alloc() took for it, a vmalloc area.
 * What no tracked object covers is charged to a per-type catch-all object
 * (USER, STACK, GLOBAL, NONE) so that every access is counted somewhere.
 * Catch-alls may stand in the hit cache over ranges where no object can
 * appear; memory that may hold an object tomorrow is charged page by page.
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/init.h>
#include <linux/mm.h>
#include <linux/sched/task_stack.h>
#include <asm/sections.h>
#include "memorizer.h"

static struct mz_obj mz_catchalls[NR_MEMORIZER_TYPES];

/* The catch-all object of type @i (a memorizer_type). */
struct mz_obj *mz_catchall(unsigned int i)
{
	return &mz_catchalls[i];
}

/*
 * Whether a cache entry may stand for @o: no object can appear inside it
 * (slab and large kmalloc pages hold others).
 */
static inline bool mz_cacheable(struct mz_obj *o)
{
	if (o->type == MZ_MEM_ALLOC_PAGES || o->type == MZ_MEM_ALLOC_PAGES_EXACT ||
	    o->type == MZ_MEM_ALLOC_PAGES_GETFREEPAGES || o->type == MZ_MEM_ALLOC_PAGES_FOLIO)
		return READ_ONCE(o->new_type) == NR_MEMORIZER_TYPES;
	return true;
}

static bool mz_on_stack(unsigned long addr)
{
	unsigned long s = (unsigned long)task_stack_page(current);

	return in_task() && addr - s < THREAD_SIZE;
}

/*
 * An address outside the regions that hold objects: the gap between the
 * regions around it, where nothing but the NONE catch-all can ever be.
 */
static void mz_outside(unsigned long addr, struct mz_cover *c)
{
	const unsigned long r[][2] = {
		{ 0, TASK_SIZE_MAX },
		{ PAGE_OFFSET, PAGE_OFFSET + (mz_page_map_pfns << PAGE_SHIFT) },
		{ VMALLOC_START, VMALLOC_END },
		{ __START_KERNEL_map, (unsigned long)_end },
#ifdef CONFIG_MODULES
		{ MODULES_VADDR, MODULES_END },
#endif
	};
	int i;

	c->lo = 0;
	c->hi = ULONG_MAX;
	for (i = 0; i < ARRAY_SIZE(r); i++) {
		if (r[i][1] <= addr)
			c->lo = max(c->lo, r[i][1]);
		else if (r[i][0] > addr)
			c->hi = min(c->hi, r[i][0]);
	}
	c->obj = &mz_catchalls[MZ_MEM_NONE];
	c->cache = true;
}

/*
 * A gap between globals: GLOBAL, but for init_task's stack (the boot
 * CPU's idle task), which the image holds; the cover stops at its edges.
 */
static void mz_image_gap(unsigned long addr, struct mz_cover *c)
{
	unsigned long s = (unsigned long)init_stack, e = s + THREAD_SIZE;

	c->obj = &mz_catchalls[MZ_MEM_GLOBAL];
	c->cache = true;
	if (addr >= s && addr < e) {
		if (mz_on_stack(addr))
			c->obj = &mz_catchalls[MZ_MEM_STACK];
		c->lo = s;
		c->hi = e;
		c->cache = false;
	} else if (addr < s) {
		c->hi = min(c->hi, s);
	} else {
		c->lo = max(c->lo, e);
	}
}

#ifdef CONFIG_MODULES
/*
 * Module space: a module's global, else its memory, over the gap between
 * its globals.  False for memory no module holds.
 */
static bool mz_find_module(unsigned long addr, struct mz_cover *c)
{
	struct mz_obj *o = mz_find_module_global(addr, &c->lo, &c->hi);

	c->cache = true;
	if (o) {
		c->obj = o;
		c->lo = o->va;
		c->hi = o->va + mz_obj_size(o);
		return true;
	}
	o = mz_find_vmalloc(addr);
	if (!o)
		return false;
	c->obj = o;
	c->lo = max(c->lo, o->va);
	c->hi = min(c->hi, o->va + mz_obj_size(o));
	return true;
}
#endif

/*
 * The object covering @addr, or a catch-all; the cover's end is where an
 * access running past it is charged to the next one too.  Catch-alls are
 * cached over ranges where no object can appear: user space, the gaps
 * between globals, the space outside the regions that hold objects.
 */
void mz_resolve(unsigned long addr, struct mz_cover *c)
{
	struct mz_obj *o = NULL;

	if (addr < TASK_SIZE_MAX) {
		c->obj = &mz_catchalls[MZ_MEM_USER];
		c->lo = 0;
		c->hi = TASK_SIZE_MAX;
		c->cache = true;
		return;
	} else if (addr >= PAGE_OFFSET &&
		   addr < PAGE_OFFSET + (mz_page_map_pfns << PAGE_SHIFT)) {
		o = mz_find_direct(addr);
	} else if (addr >= VMALLOC_START && addr < VMALLOC_END) {
		o = mz_find_vmalloc(addr);
	} else if (addr >= __START_KERNEL_map && addr < (unsigned long)_end) {
		o = mz_find_global(addr, &c->lo, &c->hi);
		if (!o) {
			mz_image_gap(addr, c);
			return;
		}
#ifdef CONFIG_MODULES
	} else if (addr >= MODULES_VADDR && addr < MODULES_END) {
		if (mz_find_module(addr, c))
			return;
#endif
	} else {
		mz_outside(addr, c);
		return;
	}
	if (o) {
		c->obj = o;
		c->lo = o->va;
		c->hi = o->va + mz_obj_size(o);
		c->cache = mz_cacheable(o);
		/* memblock may give its pages away one by one */
		if (o->type == MZ_MEM_MEMBLOCK) {
			c->lo = max(c->lo, addr & PAGE_MASK);
			c->hi = min(c->hi, (addr & PAGE_MASK) + PAGE_SIZE);
		}
		return;
	}
	/* memory that may hold an object tomorrow: charged page by page */
	c->obj = &mz_catchalls[mz_on_stack(addr) ? MZ_MEM_STACK : MZ_MEM_NONE];
	c->lo = addr & PAGE_MASK;
	c->hi = c->lo + PAGE_SIZE;
	c->cache = false;
}

/* Name the catch-alls; called from memorizer_init(). */
void __init mz_resolve_init(void)
{
	static const char *const names[] = {
		[MZ_MEM_USER] = "user", [MZ_MEM_STACK] = "stack",
		[MZ_MEM_GLOBAL] = "global", [MZ_MEM_NONE] = "none",
	};
	unsigned int t;

	for (t = 0; t < NR_MEMORIZER_TYPES; t++) {
		struct mz_obj *o = &mz_catchalls[t];

		o->va = t;
		o->alloc_ip = t;
		o->type = t;
		o->new_type = NR_MEMORIZER_TYPES;
		o->comm = mz_name_id(&mz_comms, t < ARRAY_SIZE(names) && names[t] ?
				     names[t] : "none", MZ_NAME_LEN);
		o->state = MZ_LIVE;
	}
}
