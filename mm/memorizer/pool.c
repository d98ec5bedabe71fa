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
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/atomic.h>
#include <linux/irqflags.h>
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
	pool->pcp = pcp;
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
 *
 * Safe in any context but NMI.  Return: the slot, or NULL when the pool is
 * exhausted.
 */
void *mz_pool_alloc(struct mz_pool *pool)
{
	struct mz_pool_cache *c;
	unsigned long flags;
	void *slot = NULL;

	raw_local_irq_save(flags);
	c = this_cpu_ptr(pool->pcp);
	if (!c->nr)
		mz_pool_refill(pool, c);
	if (c->nr)
		slot = c->slot[--c->nr];
	raw_local_irq_restore(flags);
	if (slot)
		memset(slot, 0, MZ_SLOT_SIZE);
	return slot;
}

/**
 * mz_pool_free - return a slot to the pool
 * @pool: the pool
 * @slot: a slot from mz_pool_alloc() nobody refers to any more
 */
void mz_pool_free(struct mz_pool *pool, void *slot)
{
	unsigned long flags;

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
