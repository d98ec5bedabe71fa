// SPDX-License-Identifier: GPL-2.0
/*
 * Memorizer's own memory: fixed 64-byte slots carved from a region reserved
 * at boot, never from the allocators the recorder traces.
 *
 * Slots are handed out through small per-CPU caches so that recording an
 * allocation takes no global lock: a cache refills in batches, first from
 * the list of slots returned by clearing, then by bumping a shared atomic
 * cursor over never-used slots.  Only clearing (a rare, user-driven event)
 * takes the pool lock for every slot it returns.
 *
 * Why reserves: descriptors and counter records share the slots, and
 * either can grow without bound between two clearings (the descriptors
 * of freed objects nobody reads, the counter records of long-lived
 * objects).  A kind may take a slot only if that leaves the other kind
 * its reserve, less what the other already holds; beyond the reserves,
 * slots go to whichever asks first.  What a kind holds is counted per
 * CPU and added to the pool's count every few slots, so that the check
 * writes no shared cache line; it may be short by a batch per CPU.
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/irqflags.h>
#include <linux/mutex.h>
#include "memorizer.h"

#define MZ_POOL_BATCH	ARRAY_SIZE(((struct mz_pool_cache *)0)->slot)

void mz_pool_init(struct mz_pool *pool, void *base, size_t bytes,
		  struct mz_pool_cache __percpu *pcp)
{
	pool->base = base;
	pool->nr_slots = bytes / MZ_SLOT_SIZE;
	arch_atomic_long_set(&pool->next, 0);
	mz_lock_init(&pool->lock);
	pool->free_list = NULL;
	pool->nr_free = 0;
	arch_atomic_long_set(&pool->in_use[MZ_KIND_OBJ], 0);
	arch_atomic_long_set(&pool->in_use[MZ_KIND_ACC], 0);
	pool->reserve[MZ_KIND_OBJ] = 0;
	pool->reserve[MZ_KIND_ACC] = 0;
	pool->pcp = pcp;
}

/* Whether a slot of @kind would leave the other kind less than its reserve. */
static bool mz_pool_over_quota(struct mz_pool *pool, struct mz_pool_cache *c,
			       enum mz_kind kind)
{
	enum mz_kind other = mz_other_kind(kind);
	long mine = arch_atomic_long_read(&pool->in_use[kind]) + c->taken[kind];
	long theirs = arch_atomic_long_read(&pool->in_use[other]) + c->taken[other];
	long reserve = READ_ONCE(pool->reserve[other]);

	return mine + max(theirs, reserve) >= (long)pool->nr_slots;
}

/* Refill @c; called with interrupts off. */
static void mz_pool_refill(struct mz_pool *pool, struct mz_pool_cache *c)
{
	unsigned long first, i, flags;

	if (READ_ONCE(pool->free_list)) {
		mz_lock(&pool->lock, &flags);
		while (pool->free_list && c->nr < MZ_POOL_BATCH) {
			c->slot[c->nr++] = pool->free_list;
			pool->free_list = *(void **)pool->free_list;
			pool->nr_free--;
		}
		mz_unlock(&pool->lock, flags);
		if (c->nr)
			return;
	}
	if (arch_atomic_long_read(&pool->next) >= pool->nr_slots)
		return;
	first = arch_atomic_long_fetch_add(MZ_POOL_BATCH, &pool->next);
	for (i = first; i < first + MZ_POOL_BATCH && i < pool->nr_slots; i++)
		c->slot[c->nr++] = mz_pool_slot(pool, i);
}

/**
 * mz_pool_alloc - take a zeroed slot
 * @pool: the pool
 * @kind: what the slot will hold
 *
 * Safe in any context but NMI.  Return: the slot, or NULL when the pool is
 * exhausted or the other kind's reserve is what is left.
 */
void *mz_pool_alloc(struct mz_pool *pool, enum mz_kind kind)
{
	struct mz_pool_cache *c;
	unsigned long flags;
	void *slot = NULL;

	raw_local_irq_save(flags);
	c = this_cpu_ptr(pool->pcp);
	if (mz_pool_over_quota(pool, c, kind))
		goto out;
	if (!c->nr)
		mz_pool_refill(pool, c);
	if (c->nr) {
		slot = c->slot[--c->nr];
		if (++c->taken[kind] >= (long)MZ_POOL_BATCH) {
			arch_atomic_long_add(c->taken[kind], &pool->in_use[kind]);
			c->taken[kind] = 0;
		}
	}
out:
	raw_local_irq_restore(flags);
	if (slot)
		memset(slot, 0, MZ_SLOT_SIZE);
	return slot;
}

/**
 * mz_pool_free - return a slot to the pool
 * @pool: the pool
 * @slot: a slot from mz_pool_alloc() nobody refers to any more
 * @kind: the kind it was taken for
 */
void mz_pool_free(struct mz_pool *pool, void *slot, enum mz_kind kind)
{
	unsigned long flags;

	arch_atomic_long_dec(&pool->in_use[kind]);
	memset(slot, 0, MZ_SLOT_SIZE);
	mz_lock(&pool->lock, &flags);
	*(void **)slot = pool->free_list;
	pool->free_list = slot;
	pool->nr_free++;
	mz_unlock(&pool->lock, flags);
}

/* Slots ever handed out, so the highest index a scan must visit. */
unsigned long mz_pool_high_water(struct mz_pool *pool)
{
	return min_t(unsigned long, arch_atomic_long_read(&pool->next), pool->nr_slots);
}

/* Slots in use: handed out, less those on the free list or in caches. */
unsigned long mz_pool_used(struct mz_pool *pool)
{
	unsigned long used = mz_pool_high_water(pool) - READ_ONCE(pool->nr_free);
	int cpu;

	for_each_possible_cpu(cpu)
		used -= READ_ONCE(per_cpu_ptr(pool->pcp, cpu)->nr);
	return used;
}

/* Slots of @kind in use, exactly while no CPU takes or returns one. */
unsigned long mz_pool_in_use(struct mz_pool *pool, enum mz_kind kind)
{
	long n = arch_atomic_long_read(&pool->in_use[kind]);
	int cpu;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(pool->pcp, cpu)->taken[kind]);
	return max(n, 0L);
}

/**
 * mz_pool_full_for - whether a kind has about all the slots it may take
 * @pool: the pool
 * @kind: the kind
 *
 * Its slots and the other kind's (or its reserve) leave no more than a
 * batch per CPU, the counts' own slack.
 */
bool mz_pool_full_for(struct mz_pool *pool, enum mz_kind kind)
{
	enum mz_kind other = mz_other_kind(kind);
	unsigned long theirs = max(mz_pool_in_use(pool, other), READ_ONCE(pool->reserve[other]));

	return mz_pool_in_use(pool, kind) + theirs + MZ_POOL_BATCH * num_online_cpus() >=
	       pool->nr_slots;
}

/*
 * The recorder's reserves, in percent of its pool (debugfs reserve_objects
 * and reserve_accesses).  The counter records' reserve holds only while
 * accesses are logged: without it, descriptors may have every slot.
 */
unsigned int mz_reserve_pct[MZ_NR_KINDS] = { 25, 25 };
static DEFINE_MUTEX(mz_reserve_lock);

/* Under mz_reserve_lock, or before anything else runs. */
static void mz_reserves_apply(void)
{
	unsigned long n = mz_pool.nr_slots;
	bool acc = READ_ONCE(mz_log_accesses);

	WRITE_ONCE(mz_pool.reserve[MZ_KIND_OBJ], n * mz_reserve_pct[MZ_KIND_OBJ] / 100);
	WRITE_ONCE(mz_pool.reserve[MZ_KIND_ACC],
		   acc ? n * mz_reserve_pct[MZ_KIND_ACC] / 100 : 0);
}

void __init mz_reserves_init(void)
{
	mz_reserves_apply();
}

/* After access logging is switched. */
void mz_reserves_update(void)
{
	mutex_lock(&mz_reserve_lock);
	mz_reserves_apply();
	mutex_unlock(&mz_reserve_lock);
}

/**
 * mz_set_reserve - set the share of the recorder's pool kept for a kind
 * @kind: the kind
 * @pct: percent of the pool
 *
 * Return: 0, or -EINVAL when the two reserves would exceed the pool.
 */
int mz_set_reserve(enum mz_kind kind, unsigned int pct)
{
	enum mz_kind other = mz_other_kind(kind);
	int ret = -EINVAL;

	mutex_lock(&mz_reserve_lock);
	if (pct <= 100 && pct + mz_reserve_pct[other] <= 100) {
		mz_reserve_pct[kind] = pct;
		mz_reserves_apply();
		ret = 0;
	}
	mutex_unlock(&mz_reserve_lock);
	return ret;
}
