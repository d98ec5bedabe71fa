// SPDX-License-Identifier: GPL-2.0
/*
 * The object table: from an object's start address to its live descriptor.
 *
 * Why a hash of start addresses: an allocation or a free names its object
 * by its start, and the table must cost memory per object, not per byte of
 * memory (the first Memorizer's byte-granular radix table needed GBs).
 * Chains are linked through the descriptors themselves, so the table adds
 * one pointer per bucket and nothing per object.  Buckets are sized from
 * the pool at boot, keeping chains short.
 *
 * Two live objects may share a start: a page-level object (the pages a
 * slab or a large kmalloc lives in) and the object nested in it.  A lookup
 * says which level it wants.
 *
 * Writers take one of a set of striped spinlocks with interrupts off (the
 * allocators run in any context but NMI).  A removed descriptor keeps its
 * chain pointer and is not reused before the recorder clears it, so
 * lockless readers that raced with the removal still walk a valid chain.
 */
#include <linux/hash.h>
#include "memorizer.h"

void mz_table_init(struct mz_table *t, struct mz_obj **buckets, unsigned int bits)
{
	int i;

	t->buckets = buckets;
	t->bits = bits;
	memset(buckets, 0, sizeof(*buckets) << bits);
	for (i = 0; i < MZ_TABLE_LOCKS; i++)
		mz_lock_init(&t->locks[i]);
}

static inline unsigned long mz_hash(struct mz_table *t, unsigned long va)
{
	return hash_long(va >> 3, t->bits);
}

static inline struct mz_spinlock *mz_bucket_lock(struct mz_table *t, unsigned long h)
{
	return &t->locks[h & (MZ_TABLE_LOCKS - 1)];
}

/* Unlink the live object at @va of the given level; bucket lock held. */
static struct mz_obj *mz_unlink(struct mz_obj **pp, unsigned long va, bool nested)
{
	struct mz_obj *o;

	for (; (o = *pp); pp = &o->next) {
		if (o->va == va && mz_type_nested(o->type) == nested) {
			WRITE_ONCE(*pp, o->next);
			return o;
		}
	}
	return NULL;
}

/**
 * mz_table_insert - make @obj the live object at its start address
 * @t: the table
 * @obj: a descriptor with va and type set
 *
 * Return: the live object of the same level it replaces (whose free was
 * never seen), already unlinked, or NULL.
 */
struct mz_obj *mz_table_insert(struct mz_table *t, struct mz_obj *obj)
{
	unsigned long h = mz_hash(t, obj->va), flags;
	struct mz_obj *old;

	mz_lock(mz_bucket_lock(t, h), &flags);
	old = mz_unlink(&t->buckets[h], obj->va, mz_type_nested(obj->type));
	obj->next = t->buckets[h];
	/* a complete descriptor before lockless lookups can find it */
	smp_store_release(&t->buckets[h], obj);
	mz_unlock(mz_bucket_lock(t, h), flags);
	return old;
}

/**
 * mz_table_remove - unlink the live object at @va
 * @t: the table
 * @va: the object's start address
 * @nested: the level: a slab object or large kmalloc (true), or pages
 *
 * Return: the unlinked descriptor, or NULL if no such object is tracked.
 */
struct mz_obj *mz_table_remove(struct mz_table *t, unsigned long va, bool nested)
{
	unsigned long h = mz_hash(t, va), flags;
	struct mz_obj *o;

	if (!READ_ONCE(t->buckets[h]))
		return NULL;
	mz_lock(mz_bucket_lock(t, h), &flags);
	o = mz_unlink(&t->buckets[h], va, nested);
	mz_unlock(mz_bucket_lock(t, h), flags);
	return o;
}

/**
 * mz_table_lookup - find the live object at @va without locking
 * @t: the table
 * @va: the object's start address
 * @nested: the level, as for mz_table_remove()
 *
 * Return: the descriptor, or NULL.  It stays valid until the recorder is
 * cleared; its fields may change under the caller.
 */
struct mz_obj *mz_table_lookup(struct mz_table *t, unsigned long va, bool nested)
{
	/* pairs with mz_table_insert() */
	struct mz_obj *o = smp_load_acquire(&t->buckets[mz_hash(t, va)]);

	for (; o; o = READ_ONCE(o->next))
		if (o->va == va && mz_type_nested(o->type) == nested)
			return o;
	return NULL;
}
