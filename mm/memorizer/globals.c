// SPDX-License-Identifier: GPL-2.0
/*
 * Globals: the instrumented variables generic KASAN registers with their
 * sizes, and how an access finds the one it touched.
 *
 * The image's globals are registered at boot by the constructors
 * do_ctors() runs, before any module can load.  They are sorted once, by
 * mz_globals_late_init(), and searched without a lock from then on.
 *
 * A module's globals are registered by the module's own constructors when
 * it loads, and die with its memory.  They go to a second sorted index,
 * which changes under a lock and carries a sequence count so that the
 * access path can search it without one: a search that overlapped a
 * change is repeated.  The writer holds the lock with interrupts off, so
 * a reader never spins on a change its own CPU was interrupted in.
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/init.h>
#include <linux/memblock.h>
#include <linux/sort.h>
#include <asm/sections.h>
#include "memorizer.h"

static u32 *mz_globals;			/* pool slot indices of the image's */
static unsigned int mz_globals_cap, mz_nr_sorted;
static atomic_t mz_nr_globals;
static bool mz_globals_sorted;

#ifdef CONFIG_MODULES
/*
 * Room for modules' globals.  A Debian system loads about a hundred
 * modules with a few hundred globals each; a global that finds no room is
 * still recorded, and its accesses are charged to its module's memory.
 */
#define MZ_MOD_GLOBALS	65536
static struct mz_gindex mz_mod_globals;
#endif

/**
 * mz_gindex_init - an empty index of globals
 * @ix: the index
 * @slot: room for @cap entries
 * @cap: how many
 */
void mz_gindex_init(struct mz_gindex *ix, struct mz_obj **slot, unsigned int cap)
{
	ix->slot = slot;
	ix->cap = slot ? cap : 0;
	ix->nr = 0;
	ix->seq = 0;
	mz_lock_init(&ix->lock);
}

/* Start or end a change: readers that see it odd or moved search again. */
static __always_inline void mz_gindex_seq(struct mz_gindex *ix)
{
	smp_wmb();	/* the entries before the count, or the count before them */
	WRITE_ONCE(ix->seq, ix->seq + 1);
	smp_wmb();	/* pairs with the reads in mz_gindex_find() */
}

/* The first entry at or above @va; the index is stable (lock or seq). */
static unsigned int mz_gindex_pos(struct mz_gindex *ix, unsigned int nr,
				  unsigned long va)
{
	unsigned int l = 0, h = nr;

	while (l < h) {
		unsigned int mid = (l + h) / 2;

		if (READ_ONCE(ix->slot[mid])->va < va)
			l = mid + 1;
		else
			h = mid;
	}
	return l;
}

/**
 * mz_gindex_insert - add a global to an index
 * @ix: the index
 * @o: the global's descriptor
 *
 * Return: false when the index is full.
 */
bool mz_gindex_insert(struct mz_gindex *ix, struct mz_obj *o)
{
	unsigned long flags;
	unsigned int i, n;

	mz_lock(&ix->lock, &flags);
	n = ix->nr;
	if (n == ix->cap) {
		mz_unlock(&ix->lock, flags);
		return false;
	}
	/* modules load at rising addresses: the move is short */
	i = mz_gindex_pos(ix, n, o->va);
	mz_gindex_seq(ix);
	for (; n > i; n--)
		WRITE_ONCE(ix->slot[n], ix->slot[n - 1]);
	WRITE_ONCE(ix->slot[i], o);
	WRITE_ONCE(ix->nr, ix->nr + 1);
	mz_gindex_seq(ix);
	mz_unlock(&ix->lock, flags);
	/* a cache entry made before may cover the new global */
	smp_mb__before_atomic();
	arch_atomic_inc(&mz_gen);
	return true;
}

/**
 * mz_gindex_drop - take the globals in [@start, @end) out of an index
 * @ix: the index
 * @start: the first byte of the memory that goes
 * @end: the byte after it
 * @fn: called with each global taken out, under the index's lock
 * @ip: passed to @fn
 */
void mz_gindex_drop(struct mz_gindex *ix, unsigned long start, unsigned long end,
		    void (*fn)(struct mz_obj *o, unsigned long ip), unsigned long ip)
{
	unsigned int i, j, n;
	unsigned long flags;

	mz_lock(&ix->lock, &flags);
	n = ix->nr;
	i = mz_gindex_pos(ix, n, start);
	j = mz_gindex_pos(ix, n, end);
	if (i < j) {
		unsigned int k;

		/* closed while still found: an access may see it freed */
		for (k = i; k < j; k++)
			fn(ix->slot[k], ip);
		mz_gindex_seq(ix);
		for (k = j; k < n; k++)
			WRITE_ONCE(ix->slot[k - (j - i)], ix->slot[k]);
		WRITE_ONCE(ix->nr, n - (j - i));
		mz_gindex_seq(ix);
	}
	mz_unlock(&ix->lock, flags);
}

/**
 * mz_gindex_find - the global an address is in
 * @ix: the index
 * @addr: the address
 * @lo: narrowed to the start of the gap around @addr, if no global has it
 * @hi: narrowed to the end of that gap
 *
 * Lockless; the caller keeps preemption off, so that a global closed
 * meanwhile keeps its slot (clearing waits for a grace period).
 *
 * Return: the live global covering @addr, or NULL.
 */
struct mz_obj *mz_gindex_find(struct mz_gindex *ix, unsigned long addr,
			      unsigned long *lo, unsigned long *hi)
{
	unsigned long l0 = *lo, h0 = *hi;
	struct mz_obj *o;
	unsigned int s, i;

	for (;;) {
		s = READ_ONCE(ix->seq);
		if (s & 1) {
			cpu_relax();
			continue;
		}
		smp_rmb();	/* pairs with mz_gindex_seq() */
		*lo = l0;
		*hi = h0;
		o = NULL;
		i = mz_gindex_pos(ix, READ_ONCE(ix->nr), addr + 1);
		if (i < READ_ONCE(ix->nr))
			*hi = min(h0, READ_ONCE(ix->slot[i])->va);
		if (i) {
			o = READ_ONCE(ix->slot[i - 1]);
			if (addr - o->va < o->size)
				*hi = min(h0, o->va + o->size);
			else
				*lo = max(l0, o->va + o->size);
		}
		smp_rmb();	/* the entries read before the count again */
		if (READ_ONCE(ix->seq) == s)
			break;
	}
	if (!o || addr - o->va >= o->size)
		return NULL;
	*lo = o->va;
	/* pairs with the recorder publishing the fields */
	return smp_load_acquire(&o->state) == MZ_LIVE ? o : NULL;
}

/*
 * A global KASAN registered: the image's go to the boot index until it is
 * sorted, any later (a module's) to the modules' index.
 */
void mz_add_global(struct mz_obj *o)
{
	int i;

	if (!READ_ONCE(mz_globals_sorted)) {
		i = arch_atomic_inc_return(&mz_nr_globals) - 1;
		if (i < mz_globals_cap)
			mz_globals[i] = mz_slot_of(o);
		return;
	}
#ifdef CONFIG_MODULES
	if (mz_gindex_insert(&mz_mod_globals, o))
		return;
#endif
	this_cpu_inc(mz_pcpu_stats.globals_unindexed);
}

#ifdef CONFIG_MODULES
/**
 * mz_find_module_global - the module global an address is in
 * @addr: an address in module space
 * @lo: set to the start of the gap around @addr, if no global has it
 * @hi: set to the end of that gap
 *
 * Return: the live global covering @addr, or NULL.
 */
struct mz_obj *mz_find_module_global(unsigned long addr, unsigned long *lo,
				     unsigned long *hi)
{
	*lo = MODULES_VADDR;
	*hi = MODULES_END;
	return mz_gindex_find(&mz_mod_globals, addr, lo, hi);
}

/**
 * mz_drop_module_globals - a module's memory goes, and its globals with it
 * @start: the memory's first byte
 * @end: the byte after it
 * @fn: closes a global
 * @ip: the free's call site
 */
void mz_drop_module_globals(unsigned long start, unsigned long end,
			    void (*fn)(struct mz_obj *o, unsigned long ip),
			    unsigned long ip)
{
	mz_gindex_drop(&mz_mod_globals, start, end, fn, ip);
}
#endif

static int mz_global_cmp(const void *a, const void *b)
{
	const struct mz_obj *x = mz_pool_slot(&mz_pool, *(const u32 *)a);
	const struct mz_obj *y = mz_pool_slot(&mz_pool, *(const u32 *)b);

	return x->va < y->va ? -1 : x->va > y->va;
}

/**
 * mz_find_global - the image's global an address is in
 * @addr: an address in the kernel image
 * @lo: set to the start of the gap around @addr, if no global has it
 * @hi: set to the end of that gap
 *
 * Return: the live global covering @addr, or NULL.
 */
struct mz_obj *mz_find_global(unsigned long addr, unsigned long *lo,
			      unsigned long *hi)
{
	unsigned int l = 0, h = READ_ONCE(mz_nr_sorted);

	*lo = __START_KERNEL_map;
	*hi = (unsigned long)_end;
	while (l < h) {
		unsigned int mid = (l + h) / 2;
		struct mz_obj *o = mz_pool_slot(&mz_pool, mz_globals[mid]);

		if (addr < o->va) {
			h = mid;
			*hi = o->va;
		} else if (addr >= o->va + o->size) {
			l = mid + 1;
			*lo = o->va + o->size;
		} else {	/* pairs with the recorder publishing the fields */
			return smp_load_acquire(&o->state) == MZ_LIVE ? o : NULL;
		}
	}
	return NULL;
}

/* Memory the globals' indices took at boot. */
unsigned long mz_globals_meta_bytes(void)
{
	unsigned long bytes = mz_globals_cap * sizeof(u32);

#ifdef CONFIG_MODULES
	bytes += mz_mod_globals.cap * sizeof(struct mz_obj *);
#endif
	return bytes;
}

/**
 * mz_globals_init - reserve the globals' indices
 *
 * Called from memorizer_init() while memblock hands out memory.  Globals
 * take at least 64 bytes each with their KASAN redzones, which bounds how
 * many the image holds.
 */
void __init mz_globals_init(void)
{
	mz_globals_cap = ((unsigned long)_end - (unsigned long)__start_rodata) / 64;
	mz_globals = memblock_alloc(mz_globals_cap * sizeof(u32), PAGE_SIZE);
	if (!mz_globals) {
		pr_err("no memory for the globals index\n");
		mz_globals_cap = 0;
	}
#ifdef CONFIG_MODULES
	mz_gindex_init(&mz_mod_globals,
		       memblock_alloc(MZ_MOD_GLOBALS * sizeof(struct mz_obj *),
				      PAGE_SIZE), MZ_MOD_GLOBALS);
#endif
}

/* Sort the globals registered at boot so that accesses can find them. */
void __init mz_globals_late_init(void)
{
	unsigned int n = min_t(unsigned int, arch_atomic_read(&mz_nr_globals), mz_globals_cap);

	if (arch_atomic_read(&mz_nr_globals) > mz_globals_cap)
		pr_warn("%d globals, room for %u: the rest count as catch-all\n",
			arch_atomic_read(&mz_nr_globals), mz_globals_cap);
	/* sort() is instrumented: its accesses to our index are our own */
	mz_guard_enter();
	sort(mz_globals, n, sizeof(u32), mz_global_cmp, NULL);
	mz_guard_exit();
	/* the sorted entries before their count, for lockless searches */
	smp_store_release(&mz_nr_sorted, n);
	WRITE_ONCE(mz_globals_sorted, true);
}
