// SPDX-License-Identifier: GPL-2.0
/*
 * Clearing: clear_dead_objects and clear_printed_objects give the slots of
 * freed objects, and of their counter records, back to the pool, while
 * the access path and the table walkers may hold them without a lock.
 */
#include <linux/rcupdate.h>
#include "memorizer.h"

/* The next object marked for clearing at or after slot *@i, or NULL. */
static struct mz_obj *mz_next_clearing(unsigned long *i, unsigned long n)
{
	for (; *i < n; ++*i) {
		struct mz_obj *o = mz_pool_slot(&mz_pool, *i);

		/* pairs with mz_close() */
		if (smp_load_acquire(&o->state) == MZ_FREED &&
		    (READ_ONCE(o->flags) & (MZ_F_CLEARING | MZ_F_QUEUED)) == MZ_F_CLEARING)
			return o;
	}
	return NULL;
}

/**
 * mz_clear - forget freed objects and return their slots to the pool
 * @printed_only: only those kmap has already reported
 *
 * Called with mz_report_lock held.  Live objects are kept.  The access
 * path and table walkers hold descriptors and counter records with
 * preemption off, without locks (synchronize_rcu() waits for such
 * sections with preemptible RCU too, but not for a walker that could be
 * preempted): an object is marked first, so that no
 * counter record appears on it after a grace period; its records are then
 * unlinked, and after a second grace period nobody can hold either.
 */
void mz_clear(bool printed_only)
{
	unsigned long i, n = mz_pool_high_water(&mz_pool);
	struct mz_obj *o;

	for (i = 0; i < n; i++) {
		u8 f;

		o = mz_pool_slot(&mz_pool, i);
		/* pairs with mz_close() */
		if (smp_load_acquire(&o->state) != MZ_FREED)
			continue;
		/* queued for kmap_stream: it stays until printed there */
		f = READ_ONCE(o->flags);
		if (!(f & MZ_F_QUEUED) && (!printed_only || (f & MZ_F_PRINTED)))
			mz_flags_update(o, MZ_F_CLEARING, 0);
		else
			mz_flags_update(o, 0, MZ_F_CLEARING);
	}
	synchronize_rcu();
	/*
	 * The access path's hit caches may name what we free: from now on
	 * no entry made before can hit, and once the accesses in flight are
	 * done, the counts the entries hold are folded into the records, so
	 * that none is later added to a recycled slot.
	 */
	arch_atomic_inc(&mz_gen);
	for (i = 0; (o = mz_next_clearing(&i, n)); i++)
		mz_ctab_unlink(&mz_ctab, o);
	synchronize_rcu();
	mz_access_fold();
	for (i = 0; (o = mz_next_clearing(&i, n)); i++) {
		mz_ctab_free(&mz_pool, o);
		mz_pool_free(&mz_pool, o, MZ_KIND_OBJ);
		arch_atomic_long_inc(&mz_cleared);
	}
}
