// SPDX-License-Identifier: GPL-2.0
/*
 * Memorizer core: the recorder's state and the hooks the allocators call
 * (its boot-time setup is init.c).
 *
 * Every allocation recorded while recording is on gets a descriptor from
 * the recorder's own pool and an entry in the object table; every free of
 * a tracked object, whenever it happens, closes the descriptor.  Nothing
 * here allocates from the allocators it traces, and nothing takes a global
 * lock on the allocation path.
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/hardirq.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "../slab.h"
#include "memorizer.h"

struct mz_pool mz_pool;
struct mz_names mz_comms, mz_caches;
bool mz_ready __read_mostly;
int mz_enabled __read_mostly;
DEFINE_STATIC_KEY_TRUE(memorizer_recording);
static DEFINE_MUTEX(mz_key_lock);
bool mz_log_live __read_mostly;
bool mz_log_accesses __read_mostly;
bool mz_verbose __read_mostly;
bool mz_index_time __read_mostly;
unsigned long mz_pool_bytes __read_mostly = (unsigned long)CONFIG_MEMORIZER_POOL_MB << 20;
/* Serializes reporting (kmap readers) against clearing. */
DEFINE_MUTEX(mz_report_lock);

struct mz_table mz_table;
struct mz_ctab mz_ctab;
DEFINE_PER_CPU(struct mz_stats, mz_pcpu_stats);
static atomic64_t mz_serial;
atomic_long_t mz_cleared;
static u16 mz_comm_hardirq, mz_comm_softirq;

/**
 * mz_warn - report an internal error as the user asked
 * @fmt: printf format of what went wrong
 *
 * WARN() when verbose_warnings_enabled is set, so that the report carries
 * the stack that led to it; a rate-limited pr_warn() otherwise.
 */
void mz_warn(const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (READ_ONCE(mz_verbose))
		WARN(1, "memorizer: %pV\n", &vaf);
	else
		pr_warn_ratelimited("%pV\n", &vaf);
	va_end(args);
}

static u64 mz_index(void)
{
	return mz_index_time ? get_jiffies_64() : arch_atomic64_inc_return(&mz_serial);
}

/* The current index: the last serial handed out, or jiffies. */
u64 mz_index_now(void)
{
	return mz_index_time ? get_jiffies_64() : arch_atomic64_read(&mz_serial);
}

static inline bool mz_recording(void)
{
	return READ_ONCE(mz_ready) && mz_ctx_wanted();
}

static void mz_set_context(struct mz_obj *o)
{
	if (in_task()) {
		o->pid = task_pid_nr(current);
		o->comm = mz_name_id(&mz_comms, current->comm, TASK_COMM_LEN);
	} else {
		o->pid = -1;
		o->comm = in_serving_softirq() ? mz_comm_softirq : mz_comm_hardirq;
	}
}

/*
 * Close a descriptor and queue it for kmap_stream, with preemption off so
 * that clearing (which waits for a grace period) sees it queued.
 */
static void mz_close(struct mz_obj *o, unsigned long ip, u64 index)
{
	o->free_ip = mz_ip_encode(ip);
	o->free_index = index;
	preempt_disable();
	/* the free fields before the state: readers acquire the state */
	smp_store_release(&o->state, MZ_FREED);
	mz_stream_push(o);
	preempt_enable();
}

/* Record a new object; NULL when not recording or the pool is exhausted. */
struct mz_obj *mz_record(u8 type, unsigned long va, unsigned long size,
			 unsigned long ip, u16 cache)
{
	struct mz_obj *o, *old;

	o = mz_pool_alloc(&mz_pool, MZ_KIND_OBJ);
	if (!o) {
		this_cpu_inc(mz_pcpu_stats.dropped[type]);
		return NULL;
	}
	o->va = va;
	if (size > U32_MAX) {
		o->size = size >> PAGE_SHIFT;
		o->flags = MZ_F_PAGES;
	} else {
		o->size = size;
	}
	o->alloc_ip = mz_ip_encode(ip);
	o->alloc_index = mz_index();
	o->type = type;
	o->new_type = NR_MEMORIZER_TYPES;
	o->cache = cache;
	mz_set_context(o);
	/* every field before the state: readers acquire the state */
	smp_store_release(&o->state, MZ_LIVE);
	old = mz_table_insert(&mz_table, o);
	if (old) {
		/*
		 * A live object of the same level whose free we never saw:
		 * a free path the recorder does not hook.
		 */
		mz_flags_update(old, MZ_F_UNSEEN, 0);
		mz_close(old, 0, o->alloc_index);
		this_cpu_inc(mz_pcpu_stats.unseen);
		mz_warn("%s at index %llu overlaps a live %s whose free was not seen",
			mz_type_name(type), o->alloc_index, mz_type_name(old->type));
	}
	this_cpu_inc(mz_pcpu_stats.recorded[type]);
	return o;
}

/* Close the live object at @va, if tracked, whether or not recording. */
static void mz_free(unsigned long va, bool nested, unsigned long ip)
{
	struct mz_obj *o;

	if (!READ_ONCE(mz_ready))
		return;
	o = mz_table_remove(&mz_table, va, nested);
	if (o) {
		mz_close(o, ip, mz_index_now());
		this_cpu_inc(mz_pcpu_stats.frees);
	}
}

static u16 mz_cache_id(struct kmem_cache *s)
{
	return mz_name_id(&mz_caches, s->name, MZ_NAME_LEN);
}

void __memorizer_slab_alloc(struct kmem_cache *s, void *obj, size_t size,
			    int node, unsigned long ip)
{
	u8 type;

	if (!obj || !mz_recording())
		return;
	if (s->flags & SLAB_KMALLOC)
		type = node == NUMA_NO_NODE ? MZ_MEM_KMALLOC : MZ_MEM_KMALLOC_ND;
	else
		type = node == NUMA_NO_NODE ? MZ_MEM_KMEM_CACHE : MZ_MEM_KMEM_CACHE_ND;
	mz_record(type, (unsigned long)obj, size, ip, mz_cache_id(s));
}

void __memorizer_slab_alloc_bulk(struct kmem_cache *s, size_t nr, void **p,
				 unsigned long ip)
{
	u16 cache;
	size_t i;

	if (!mz_recording())
		return;
	cache = mz_cache_id(s);
	for (i = 0; i < nr; i++)
		if (p[i])
			mz_record(MZ_MEM_KMEM_CACHE_BULK, (unsigned long)p[i],
				  s->object_size, ip, cache);
}

void memorizer_slab_free(struct kmem_cache *s, void **p, int cnt,
			 unsigned long ip)
{
	int i;

	for (i = 0; i < cnt; i++)
		mz_free((unsigned long)p[i], true, ip);
}

/* A slab took these pages: name the slab's type on the page object. */
void __memorizer_slab_page(struct kmem_cache *s, void *addr)
{
	struct mz_obj *o;

	if (!READ_ONCE(mz_ready))
		return;
	preempt_disable();	/* a table walker: see mz_clear() */
	o = mz_table_lookup(&mz_table, (unsigned long)addr, false);
	if (o)
		WRITE_ONCE(o->new_type, (s->flags & SLAB_KMALLOC) ?
			   MZ_MEM_KMALLOC : MZ_MEM_KMEM_CACHE);
	preempt_enable();
}

void __memorizer_kmalloc_large(const void *obj, size_t size, int node,
			       unsigned long ip)
{
	struct mz_obj *pages;

	if (!obj || !mz_recording())
		return;
	preempt_disable();	/* a table walker: see mz_clear() */
	pages = mz_table_lookup(&mz_table, (unsigned long)obj, false);
	if (pages)
		WRITE_ONCE(pages->new_type, MZ_MEM_KMALLOC);
	preempt_enable();
	mz_record(node == NUMA_NO_NODE ? MZ_MEM_KMALLOC : MZ_MEM_KMALLOC_ND,
		  (unsigned long)obj, size, ip, 0);
}

void memorizer_kfree_large(const void *obj, unsigned long ip)
{
	mz_free((unsigned long)obj, true, ip);
}

void __memorizer_alloc_pages(struct page *page, unsigned int order,
			     unsigned long ip)
{
	struct mz_obj *o;

	if (!page || !mz_recording())
		return;
	o = mz_record(MZ_MEM_ALLOC_PAGES, (unsigned long)page_address(page),
		      PAGE_SIZE << order, ip, 0);
	if (o)
		mz_map_pages(page_to_pfn(page), 1UL << order, o);
}

void memorizer_free_pages(struct page *page, unsigned int order,
			  unsigned long ip)
{
	unsigned long va = (unsigned long)page_address(page);

	if (!READ_ONCE(mz_ready))
		return;
	/* Whatever was nested at the start of these pages goes with them. */
	mz_free(va, true, ip);
	mz_free(va, false, ip);
	mz_unmap_pages(page_to_pfn(page), 1UL << order);
}

/*
 * A page allocation made through a more specific interface: rename the
 * object just recorded by memorizer_alloc_pages() and credit the caller.
 */
void __memorizer_retype(const void *addr, enum memorizer_type type,
			size_t size, unsigned long ip)
{
	struct mz_obj *o;

	if (!addr || !mz_recording())
		return;
	preempt_disable();	/* a table walker: see mz_clear() */
	o = mz_table_lookup(&mz_table, (unsigned long)addr, false);
	if (o) {
		o->type = type;
		o->alloc_ip = mz_ip_encode(ip);
		if (size)
			o->size = size;
	}
	preempt_enable();
}

void __memorizer_vmalloc(const void *addr, unsigned long size,
			 unsigned long ip)
{
	struct mz_obj *o;

	if (!addr || !mz_recording())
		return;
	o = mz_record(MZ_MEM_VMALLOC, (unsigned long)addr, size, ip, 0);
	if (o)
		mz_map_vmalloc(o);
}

/* A module's global goes with the module's memory. */
static void mz_free_global(struct mz_obj *o, unsigned long ip)
{
	mz_free(o->va, false, ip);
}

void memorizer_vfree(const void *addr, unsigned long ip)
{
	struct mz_obj *o;

	if (!addr || !READ_ONCE(mz_ready))
		return;
	o = mz_table_remove(&mz_table, (unsigned long)addr, false);
	if (!o)
		return;
#ifdef CONFIG_MODULES
	if (o->va >= MODULES_VADDR && o->va < MODULES_END)
		mz_drop_module_globals(o->va, o->va + mz_obj_size(o),
				       mz_free_global, ip);
#endif
	mz_close(o, ip, mz_index_now());
	this_cpu_inc(mz_pcpu_stats.frees);
}

/*
 * An object that stays where it is with a new size: krealloc() within its
 * slab slot, or ksize() giving its caller the whole slot.  The hit cache
 * needs no new generation: an entry covering the old size still lies
 * inside the object, and past a smaller size KASAN reports the access.
 */
void memorizer_resize(const void *obj, size_t size)
{
	struct mz_obj *o;

	if (!obj || !READ_ONCE(mz_ready))
		return;
	preempt_disable();	/* a table walker: see mz_clear() */
	o = mz_table_lookup(&mz_table, (unsigned long)obj, true);
	if (o && !(READ_ONCE(o->flags) & MZ_F_PAGES) && size <= U32_MAX)
		WRITE_ONCE(o->size, size);
	preempt_enable();
}

/* KASAN registers every instrumented global with its size. */
void memorizer_register_global(const void *addr, size_t size)
{
	struct mz_obj *o;

	if (!READ_ONCE(mz_ready))
		return;
	o = mz_record(MZ_MEM_GLOBAL, (unsigned long)addr, size, (unsigned long)addr, 0);
	if (o) {
		o->pid = 0;
		mz_add_global(o);
	}
}

/**
 * mz_alloc_index_of - the alloc_index of a live tracked object
 * @va: the object's start address
 * @nested: its level, as for mz_table_lookup()
 *
 * Return: the index, or 0 when no such object is tracked.
 */
u64 mz_alloc_index_of(const void *va, bool nested)
{
	struct mz_obj *o;
	u64 index = 0;

	if (!READ_ONCE(mz_ready))
		return 0;
	preempt_disable();	/* a table walker: see mz_clear() */
	o = mz_table_lookup(&mz_table, (unsigned long)va, nested);
	if (o)
		index = o->alloc_index;
	preempt_enable();
	return index;
}

/* Name interrupt context's commands; called from memorizer_init(). */
void __init mz_context_init(void)
{
	mz_comm_hardirq = mz_name_id(&mz_comms, "hardirq", MZ_NAME_LEN);
	mz_comm_softirq = mz_name_id(&mz_comms, "softirq", MZ_NAME_LEN);
}

/* Sum the per-CPU counters. */
void mz_stats_sum(struct mz_stats *sum)
{
	int cpu, t;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		struct mz_stats *s = per_cpu_ptr(&mz_pcpu_stats, cpu);

		for (t = 0; t < NR_MEMORIZER_TYPES; t++) {
			sum->recorded[t] += READ_ONCE(s->recorded[t]);
			sum->dropped[t] += READ_ONCE(s->dropped[t]);
		}
		sum->frees += READ_ONCE(s->frees);
		sum->unseen += READ_ONCE(s->unseen);
		sum->reads += READ_ONCE(s->reads);
		sum->writes += READ_ONCE(s->writes);
		sum->acc_dropped += READ_ONCE(s->acc_dropped);
		sum->acc_nmi += READ_ONCE(s->acc_nmi);
		sum->acc_idle += READ_ONCE(s->acc_idle);
		sum->acc_recorder += READ_ONCE(s->acc_recorder);
		sum->lookups += READ_ONCE(s->lookups);
		sum->globals_unindexed += READ_ONCE(s->globals_unindexed);
	}
}

/**
 * mz_sync_key - switch the allocation hooks' key as memorizer_enabled is
 *
 * Called after each write of memorizer_enabled, in process context.  The
 * key starts on, so that boot records from the first allocation; it is
 * first switched once the kernel can patch its text.
 */
void mz_sync_key(void)
{
	mutex_lock(&mz_key_lock);
	if (READ_ONCE(mz_enabled))
		static_branch_enable(&memorizer_recording);
	else
		static_branch_disable(&memorizer_recording);
	mutex_unlock(&mz_key_lock);
}

static int __init mz_key_init(void)
{
	mz_sync_key();
	return 0;
}
late_initcall(mz_key_init);
