// SPDX-License-Identifier: GPL-2.0
/*
 * The counter table: from (object, instruction, key) to the record that
 * counts that instruction's reads and writes of that object for that task
 * (or interrupt context, or a command's exited tasks: see memorizer.h).
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
 * Records leave when their object is cleared (mz_ctab_unlink() first,
 * then, after a grace period, mz_ctab_free()) and when their task's
 * exit is retired (mz_ctab_retire()).
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
				     u32 ip, u32 key)
{
	return hash_long((unsigned long)obj ^ ((unsigned long)ip << 16) ^
			 ((unsigned long)key << 40), t->bits);
}

static inline struct mz_acc *mz_cfind(struct mz_acc *r, struct mz_obj *obj,
				      u32 ip, u32 key)
{
	for (; r; r = READ_ONCE(r->hnext))
		if (r->obj == obj && r->ip == ip && READ_ONCE(r->key) == key)
			return r;
	return NULL;
}

static inline struct mz_spinlock *mz_clock(struct mz_ctab *t, unsigned long h)
{
	return &t->locks[h & (MZ_TABLE_LOCKS - 1)];
}

/**
 * mz_ctab_get - the counter record of (@obj, @ip, @key), made if need be
 * @t: the table
 * @pool: where new records come from
 * @obj: the object accessed
 * @ip: the accessing instruction, encoded
 * @key: whom it counts for (see memorizer.h)
 * @pid: the pid a new record prints
 *
 * Safe in any context but NMI.  Return: the record, or NULL when the pool
 * is exhausted or @obj is being cleared.
 */
struct mz_acc *mz_ctab_get(struct mz_ctab *t, struct mz_pool *pool,
			   struct mz_obj *obj, u32 ip, u32 key, s32 pid)
{
	unsigned long h = mz_chash(t, obj, ip, key), flags;
	struct mz_spinlock *lock = mz_clock(t, h);
	struct mz_acc *r, *head;

	/* pairs with the release that published the chain head */
	r = mz_cfind(smp_load_acquire(&t->buckets[h]), obj, ip, key);
	if (likely(r))
		return r;

	mz_lock(lock, &flags);
	r = mz_cfind(t->buckets[h], obj, ip, key);
	if (r || (READ_ONCE(obj->flags) & MZ_F_CLEARING))
		goto out;
	r = mz_pool_alloc(pool, MZ_KIND_ACC);
	if (!r)
		goto out;
	r->obj = obj;
	r->ip = ip;
	r->key = key;
	r->pid = pid;
	/* pairs with mz_retire()'s scan, which reads the key */
	smp_store_release(&r->state, MZ_ACC);
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

/* Take @r out of its bucket (it has key @key). */
static void mz_chain_remove(struct mz_ctab *t, struct mz_acc *r, u32 key)
{
	unsigned long h = mz_chash(t, r->obj, r->ip, key), flags;
	struct mz_acc **pp;

	mz_lock(mz_clock(t, h), &flags);
	for (pp = &t->buckets[h]; *pp; pp = &(*pp)->hnext) {
		if (*pp == r) {
			WRITE_ONCE(*pp, r->hnext);
			break;
		}
	}
	mz_unlock(mz_clock(t, h), flags);
}

/**
 * mz_ctab_unlist_merged - take an object's merged records off its list
 * @obj: an object mz_ctab_retire() merged records of
 *
 * One walk for all of them: an object's list may hold a record for every
 * (instruction, task) that touched it, and taking the merged ones off one
 * by one, each from the head, costs the square of that.  New records are
 * pushed at the head concurrently; only retiring removes from the middle.
 * Called with mz_report_lock held; the records leave with their flag
 * cleared.
 */
void mz_ctab_unlist_merged(struct mz_obj *obj)
{
	struct mz_acc *r, *p;

	for (;;) {
		r = READ_ONCE(obj->acc);
		if (!r || !(r->flags & MZ_ACC_MERGED))
			break;
		if (arch_cmpxchg(&obj->acc, r, r->onext) == r)
			r->flags &= ~MZ_ACC_MERGED;
	}
	if (!r)
		return;
	for (p = r; (r = p->onext);) {
		if (r->flags & MZ_ACC_MERGED) {
			WRITE_ONCE(p->onext, r->onext);
			r->flags &= ~MZ_ACC_MERGED;
		} else {
			p = r;
		}
	}
}

/**
 * mz_ctab_retire - fold an exited task's record into its command's aggregate
 * @t: the table
 * @r: the record; its task has exited, its counts are all folded out of
 *     the hit caches, and ->comm names the task's command
 *
 * Adds its counts to the aggregate of (object, ip, command) if there is
 * one; else the record becomes that aggregate by changing its key, which
 * needs no new slot, so that retiring cannot fail for want of memory.
 * A lockless lookup walking the chain @r leaves may follow @r into
 * another chain and miss: mz_ctab_get() then searches again under the lock.
 * Called with mz_report_lock held, which keeps printers and clearing away.
 *
 * Return: true when @r is no longer used: off the table, and marked
 * MZ_ACC_MERGED for mz_ctab_unlist_merged() to take it off its object's
 * list; then it returns to the pool after a grace period.
 */
bool mz_ctab_retire(struct mz_ctab *t, struct mz_acc *r)
{
	u32 agg = MZ_KEY_AGG | r->comm;
	unsigned long h = mz_chash(t, r->obj, r->ip, agg), flags;
	struct mz_acc *a;

	mz_chain_remove(t, r, r->key);
	mz_lock(mz_clock(t, h), &flags);
	a = mz_cfind(t->buckets[h], r->obj, r->ip, agg);
	if (!a) {
		WRITE_ONCE(r->key, agg);
		r->pid = MZ_PID_RETIRED;
		r->hnext = t->buckets[h];
		/* the new key and link before lockless lookups find it here */
		smp_store_release(&t->buckets[h], r);
	}
	mz_unlock(mz_clock(t, h), flags);
	if (!a)
		return false;
	arch_atomic_long_add(arch_atomic_long_read(&r->reads), &a->reads);
	arch_atomic_long_add(arch_atomic_long_read(&r->writes), &a->writes);
	r->flags |= MZ_ACC_MERGED;
	return true;
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
	struct mz_acc *r;

	for (r = obj->acc; r; r = r->onext)
		mz_chain_remove(t, r, r->key);
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
		mz_pool_free(pool, r, MZ_KIND_ACC);
	}
	obj->acc = NULL;
}
