// SPDX-License-Identifier: GPL-2.0
/*
 * The counter table: from (object, instruction, pid) to the record that
 * counts that instruction's reads and writes of that object for that
 * process.
 *
 * Why one hash for all objects: the cost of finding a counter must not
 * grow with the number of call sites touching an object (the first
 * Memorizer scanned a per-object list), and per-object tables would need
 * memory sized per object in advance.  Records are pool slots, chained
 * through the table and, for printing, through their object.
 *
 * Why atomics in the record: it is shared by every CPU running the same
 * instruction on the same object for the same process.  Most counts do
 * not reach it one by one: they gather per CPU in the access path's hit
 * cache and are added in batches (access.c), so the record needs no
 * per-CPU copies, which would multiply the records by the CPUs.
 *
 * Lookups are lockless; an insertion takes the bucket's striped lock.
 * Records leave only when their object is cleared: mz_ctab_unlink() first,
 * then, after a grace period, mz_ctab_free().
 */
#include <linux/atomic.h>
#include <linux/hash.h>
#include "memorizer.h"

void mz_ctab_init(struct mz_ctab *t, struct mz_acc **buckets, unsigned int bits)
{
	int i;

	t->buckets = buckets;
	t->bits = bits;
	memset(buckets, 0, sizeof(*buckets) << bits);
	for (i = 0; i < MZ_TABLE_LOCKS; i++)
		mz_lock_init(&t->locks[i]);
}

static inline unsigned long mz_chash(struct mz_ctab *t, struct mz_obj *obj,
				     u32 ip, s32 pid)
{
	return hash_long((unsigned long)obj ^ ((unsigned long)ip << 16) ^
			 ((unsigned long)(u32)pid << 40), t->bits);
}

static inline struct mz_acc *mz_cfind(struct mz_acc *r, struct mz_obj *obj,
				      u32 ip, s32 pid)
{
	for (; r; r = READ_ONCE(r->hnext))
		if (r->obj == obj && r->ip == ip && r->pid == pid)
			return r;
	return NULL;
}

/**
 * mz_ctab_get - the counter record of (@obj, @ip, @pid), made if need be
 * @t: the table
 * @pool: where new records come from
 * @obj: the object accessed
 * @ip: the accessing instruction, encoded
 * @pid: the process it ran for
 *
 * Safe in any context but NMI.  Return: the record, or NULL when the pool
 * is exhausted or @obj is being cleared.
 */
struct mz_acc *mz_ctab_get(struct mz_ctab *t, struct mz_pool *pool,
			   struct mz_obj *obj, u32 ip, s32 pid)
{
	unsigned long h = mz_chash(t, obj, ip, pid), flags;
	struct mz_spinlock *lock = &t->locks[h & (MZ_TABLE_LOCKS - 1)];
	struct mz_acc *r, *head;

	/* pairs with the release that published the chain head */
	r = mz_cfind(smp_load_acquire(&t->buckets[h]), obj, ip, pid);
	if (likely(r))
		return r;

	mz_lock(lock, &flags);
	r = mz_cfind(t->buckets[h], obj, ip, pid);
	if (r || (READ_ONCE(obj->flags) & MZ_F_CLEARING))
		goto out;
	r = mz_pool_alloc(pool);
	if (!r)
		goto out;
	r->obj = obj;
	r->ip = ip;
	r->pid = pid;
	r->state = MZ_ACC;
	r->hnext = t->buckets[h];
	/* Printers walk the object's list without locks: publish last. */
	do {
		head = READ_ONCE(obj->acc);
		r->onext = head;
	} while (arch_cmpxchg(&obj->acc, head, r) != head);
	/* an initialized record before lockless lookups can find it */
	smp_store_release(&t->buckets[h], r);
out:
	mz_unlock(lock, flags);
	return r;
}

/**
 * mz_ctab_unlink - take an object's records out of the table
 * @t: the table
 * @obj: an object marked MZ_F_CLEARING a grace period ago, so that no
 *	 new record can appear on it
 *
 * Lockless lookups may still hold the records until a grace period ends.
 */
void mz_ctab_unlink(struct mz_ctab *t, struct mz_obj *obj)
{
	struct mz_acc *r, **pp;
	unsigned long h, flags;

	for (r = obj->acc; r; r = r->onext) {
		h = mz_chash(t, obj, r->ip, r->pid);
		mz_lock(&t->locks[h & (MZ_TABLE_LOCKS - 1)], &flags);
		for (pp = &t->buckets[h]; *pp; pp = &(*pp)->hnext) {
			if (*pp == r) {
				WRITE_ONCE(*pp, r->hnext);
				break;
			}
		}
		mz_unlock(&t->locks[h & (MZ_TABLE_LOCKS - 1)], flags);
	}
}

/**
 * mz_ctab_free - return an unlinked object's records to the pool
 * @pool: the pool
 * @obj: the object, after mz_ctab_unlink() and a grace period
 */
void mz_ctab_free(struct mz_pool *pool, struct mz_obj *obj)
{
	struct mz_acc *r = obj->acc, *next;

	for (; r; r = next) {
		next = r->onext;
		mz_pool_free(pool, r);
	}
	obj->acc = NULL;
}
