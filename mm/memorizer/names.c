// SPDX-License-Identifier: GPL-2.0
/*
 * Interned names: task commands and slab cache names are kept once, and a
 * descriptor holds a 16-bit id.  This keeps descriptors at 64 bytes and
 * keeps a cache's name printable after the cache is destroyed.
 *
 * An open-addressing table: lookups are lockless (an entry is published by
 * a release store of its hash after its string is written; entries are
 * never removed), inserts take the lock.  When the table is full, new names
 * map to id 0 ("?") and the overflow is counted.
 */
#include <linux/jhash.h>
#include <linux/string.h>
#include "memorizer.h"

void mz_names_init(struct mz_names *n, char (*str)[MZ_NAME_LEN], u32 *hash,
		   unsigned int size)
{
	n->str = str;
	n->hash = hash;
	n->size = size;
	n->used = 1;
	arch_atomic_long_set(&n->overflow, 0);
	mz_lock_init(&n->lock);
	memset(hash, 0, sizeof(*hash) * size);
	strscpy(str[0], "?", MZ_NAME_LEN);
	hash[0] = 1;
}

/* Names are stored without commas or control characters: they go in CSV. */
static void mz_name_clean(char *dst, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < MZ_NAME_LEN - 1 && s[i]; i++)
		dst[i] = (s[i] == ',' || s[i] < ' ' || s[i] > '~') ? '_' : s[i];
	dst[i] = '\0';
}

/**
 * mz_name_id - the id of a name, interning it if new
 * @n: the name table
 * @s: the name (need not be NUL-terminated within @len)
 * @len: at most this many characters are used
 *
 * Return: the id; 0 if the table is full.
 */
u16 mz_name_id(struct mz_names *n, const char *s, size_t len)
{
	char buf[MZ_NAME_LEN];
	unsigned int mask = n->size - 1, i, probes;
	unsigned long flags;
	u32 h;

	mz_name_clean(buf, s, len);
	h = jhash(buf, strlen(buf), 0) | 2;	/* 0 free, 1 reserved for id 0 */
	for (i = h & mask, probes = 0; probes < n->size; i = (i + 1) & mask, probes++) {
		/* a published hash means the name is complete */
		u32 eh = smp_load_acquire(&n->hash[i]);

		if (!eh)
			break;
		if (eh == h && !strcmp(n->str[i], buf))
			return i;
	}

	mz_lock(&n->lock, &flags);
	for (i = h & mask, probes = 0; probes < n->size; i = (i + 1) & mask, probes++) {
		if (!n->hash[i]) {
			if (n->used >= n->size - n->size / 4)
				break;
			strscpy(n->str[i], buf, MZ_NAME_LEN);
			/* the name before its hash: lookups acquire the hash */
			smp_store_release(&n->hash[i], h);
			n->used++;
			mz_unlock(&n->lock, flags);
			return i;
		}
		if (n->hash[i] == h && !strcmp(n->str[i], buf)) {
			mz_unlock(&n->lock, flags);
			return i;
		}
	}
	mz_unlock(&n->lock, flags);
	arch_atomic_long_inc(&n->overflow);
	return 0;
}

/* The name of @id; ids come only from mz_name_id(). */
const char *mz_name(struct mz_names *n, u16 id)
{
	return id < n->size ? n->str[id] : n->str[0];
}
