// SPDX-License-Identifier: GPL-2.0
/*
 * summary: counts by type, cache and command, and the top objects,
 * functions and (function, cache) pairs.
 *
 * Only aggregates are kept: per interned name, per (access IP, cache) pair,
 * and an N-element heap of objects, so a multi-GB kmap needs no more memory
 * than a small one.  IPs are folded into functions only at the end, once per
 * distinct IP rather than once per access line.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kmaptool.h"
#include "scan.h"

static const char usage_text[] =
	"Usage: " KT_NAME " summary [OPTIONS] [FILE...]\n"
	"Counts objects (live, freed), bytes and accesses by alloc_type, slab cache\n"
	"and command; the node and edge counts of the OSmosis model that\n"
	"'modelstate' writes; the top N objects by accesses, the top N accessing\n"
	"functions and the top N (function, cache) pairs.  Functions are access IPs\n"
	"folded by --symbols, or the raw IPs without it.\n"
	"\n"
	"  -n, --top N         list N entries in each top list (default 10)\n"
	COMMON_USAGE;

struct agg {
	u64 objects, live, freed, bytes, reads, writes;
};

/*
 * Objects of one class -- the same alloc_type, cache and command, and the
 * same kind (catch-all or not, stub or not) -- are counted together, and
 * the classes added into the three by[] tables at the end: one small
 * table per object rather than three aggregates, and the object's
 * resource space, a function of its class, looked up once per class.  A
 * kmap has a few hundred classes in millions of objects.
 */
struct cls {
	u32 type, slab, comm, kind;	/* kind: CLS_* bits; 0: empty slot */
	struct agg a;
};

#define CLS_USED	1u
#define CLS_CATCHALL	2u
#define CLS_STUB	4u

struct pair {		/* an (access IP, cache) pair; slot of pairs[] */
	u64 ip;
	u32 cache;
	u32 used;
	u64 reads, writes;
};

/*
 * The (IP, cache) pairs of kernel text addresses (0xffffffff........), all
 * of them in a real kmap, are kept in half the room: the address's low
 * half and the cache in one key, counts of 32 bits.  The table is
 * megabytes, fresh memory the kernel clears (a tenth of a run at 32-byte
 * slots) and probed at random, so halving it pays at every access.  Any
 * other IP, and a pair whose counts reach 2^32 - 1 (it moves, its slot
 * then says so), have a slot in pairs[] instead: each pair is in exactly
 * one of the two.
 */
struct kpair {
	u64 key;	/* kpair_key(); 0: empty */
	u32 reads, writes;	/* both KPAIR_MOVED: the pair is in pairs[] */
};

#define KPAIR_MOVED	0xffffffffu
#define KERNEL_HI	0xffffffff00000000ull

static inline bool kpair_ip(u64 ip)
{
	return (ip & KERNEL_HI) == KERNEL_HI;
}

/* Never 0: the cache is stored plus one (ids are far below 2^32 - 1). */
static inline u64 kpair_key(u64 ip, u32 cache)
{
	return (u32)ip | (u64)(cache + 1) << 32;
}

/*
 * Either table is probed at random, so each probe is a cache miss.
 * Accesses are added in batches whose slots were prefetched when they
 * arrived: the misses then overlap instead of being paid one after
 * another.
 */
#define PAIR_BATCH 32

/*
 * An access waiting in the batch: its kpair_key() and counts, 16 bytes.
 * Only what a kpair slot takes waits (a kernel text address, counts below
 * 2^32: every access of a real kmap); its slot is found again from the
 * key, which costs one product, less than carrying it.
 */
struct pending {
	u64 key;
	u32 reads, writes;
};

struct topobj {
	u64 total, reads, writes, size, va, alloc_index, seq, alloc_ip;
	u32 type, slab, comm;
};

struct fn {		/* a function, or (function, cache) */
	long sym;	/* symbol index, or -1: then ip is the key */
	u64 ip;
	u32 cache;
	u64 reads, writes;
};

struct summary {
	u64 nobj, live, freed, stubs, bytes, lines, reads, writes, nholds;
	struct agg *by[3];	/* alloc_type, slab cache, command; by str id */
	size_t capby[3];
	struct cls *cls;	/* open addressing, counters in place */
	u32 cmask, ncls;
	struct kpair *kpairs;	/* open addressing, counters in place */
	u32 kmask, nkpairs;
	u32 kslots0;		/* its first size, from the input's size */
	struct pair *pairs;	/* the other pairs, the same way */
	u32 pmask, npairs;
	struct pending batch[PAIR_BATCH];	/* accesses not yet added to pairs */
	u32 nbatch;
	struct topobj *heap;	/* min-heap: heap[0] is the weakest of the top */
	size_t nheap, topn;
	struct edgeset es;	/* (object, PD) edges, ungrouped input */
	/* The current object's accessing pids (grouped input): its HOLD edges. */
	s64 apid[8];
	u32 napid;
	struct hmap apids;	/* ...beyond the first 8 */
	/* ...and its exited PDs (access_pid -2), by exited */
	struct hmap xpds;
	u32 nxpd;
	u64 owner;		/* current object's pid if it has an owner, else ~0 */
	struct pidset pids;	/* the PDs */
	struct spaces ss;	/* the model's resource spaces */
	const struct consumer *c;
};

/* Is a ranked before b?  More accesses first, then the oldest allocation. */
static bool obj_before(const struct topobj *a, const struct topobj *b)
{
	if (a->total != b->total)
		return a->total > b->total;
	if (a->alloc_index != b->alloc_index)
		return a->alloc_index < b->alloc_index;
	if (a->va != b->va)
		return a->va < b->va;
	return a->seq < b->seq;
}

static void heap_down(struct topobj *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct topobj t;

		if (l < n && obj_before(&h[m], &h[l]))
			m = l;
		if (r < n && obj_before(&h[m], &h[r]))
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void heap_up(struct topobj *h, size_t i)
{
	while (i) {
		size_t p = (i - 1) / 2;
		struct topobj t;

		if (!obj_before(&h[p], &h[i]))
			return;
		t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

static void top_add(struct summary *s, const struct topobj *t)
{
	if (!s->topn || !t->total)
		return;
	if (s->nheap < s->topn) {
		s->heap[s->nheap] = *t;
		heap_up(s->heap, s->nheap++);
	} else if (obj_before(t, &s->heap[0])) {
		s->heap[0] = *t;
		heap_down(s->heap, s->nheap, 0);
	}
}

static void top_offer(struct summary *s, const struct kobj *o)
{
	u64 total = o->reads + o->writes;
	struct topobj t;

	/* most objects are below the weakest of a full top list */
	if (s->nheap && s->nheap == s->topn && total < s->heap[0].total)
		return;
	t = (struct topobj){
		.total = total, .reads = o->reads,
		.writes = o->writes, .size = o->size, .va = o->va,
		.alloc_index = o->alloc_index, .seq = o->seq,
		.alloc_ip = o->alloc_ip, .type = o->type, .slab = o->slab,
		.comm = o->comm,
	};

	top_add(s, &t);
}

static __attribute__((noinline)) void agg_grow(struct summary *s, int k, u32 id)
{
	size_t old = s->capby[k];

	GROW(s->by[k], s->capby[k], (size_t)id + 1);
	memset(s->by[k] + old, 0, (s->capby[k] - old) * sizeof(struct agg));
}

static inline struct agg *agg_of(struct summary *s, int k, u32 id)
{
	if (__builtin_expect(id >= s->capby[k], 0))
		agg_grow(s, k, id);
	return &s->by[k][id];
}

static void agg_add(struct agg *g, const struct agg *a)
{
	g->objects += a->objects;
	g->live += a->live;
	g->freed += a->freed;
	g->bytes += a->bytes;
	g->reads += a->reads;
	g->writes += a->writes;
}

static inline u32 cls_kind(const struct kobj *o)
{
	return CLS_USED | (obj_is_catchall(o) ? CLS_CATCHALL : 0) |
	       (o->stub ? CLS_STUB : 0);
}

static inline u32 cls_hash(u32 type, u32 slab, u32 comm, u32 kind)
{
	u64 h = ((u64)type << 32 | slab) * 0x9e3779b97f4a7c15ull ^
		((u64)comm << 8 | kind) * 0xc2b2ae3d27d4eb4full;

	return (u32)(h >> 40);
}

static void cls_grow(struct summary *s)
{
	struct cls *old = s->cls;
	u32 oldn = old ? s->cmask + 1 : 0, n = oldn ? oldn * 2 : 256;

	s->cls = xcalloc(n, sizeof(*s->cls));
	s->cmask = n - 1;
	for (u32 i = 0; i < oldn; i++) {
		struct cls *c = &old[i];
		u32 j;

		if (!c->kind)
			continue;
		j = cls_hash(c->type, c->slab, c->comm, c->kind) & s->cmask;
		while (s->cls[j].kind)
			j = (j + 1) & s->cmask;
		s->cls[j] = *c;
	}
	free(old);
}

/* o's class is new: its slot j, and its space. */
static __attribute__((noinline)) struct agg *cls_new(struct summary *s,
						     const struct kobj *o,
						     u32 kind, u32 j)
{
	if ((s->ncls + 1) * 2 > s->cmask + 1) {
		cls_grow(s);
		j = cls_hash(o->type, o->slab, o->comm, kind) & s->cmask;
		while (s->cls[j].kind)
			j = (j + 1) & s->cmask;
	}
	s->ncls++;
	s->cls[j] = (struct cls){ .type = o->type, .slab = o->slab,
				  .comm = o->comm, .kind = kind };
	space_of(&s->ss, o);
	return &s->cls[j].a;
}

/* The counts of o's class; one per object. */
static inline struct agg *cls_of(struct summary *s, const struct kobj *o)
{
	u32 kind = cls_kind(o);
	u32 j = cls_hash(o->type, o->slab, o->comm, kind) & s->cmask;

	for (;; j = (j + 1) & s->cmask) {
		struct cls *c = &s->cls[j];

		if (c->type == o->type && c->slab == o->slab &&
		    c->comm == o->comm && c->kind == kind)
			return &c->a;
		if (!c->kind)
			return cls_new(s, o, kind, j);
	}
}

/* The classes' counts, into by[] and the totals; the classes are then empty. */
static void cls_fold(struct summary *s)
{
	for (u32 i = 0; i <= s->cmask; i++) {
		struct cls *c = &s->cls[i];

		if (!c->kind)
			continue;
		s->nobj += c->a.objects;
		if (c->kind & CLS_STUB)
			s->stubs += c->a.objects;
		s->live += c->a.live;
		s->freed += c->a.freed;
		s->bytes += c->a.bytes;
		s->reads += c->a.reads;
		s->writes += c->a.writes;
		agg_add(agg_of(s, 0, c->type), &c->a);
		agg_add(agg_of(s, 1, c->slab), &c->a);
		agg_add(agg_of(s, 2, c->comm), &c->a);
	}
	memset(s->cls, 0, (size_t)(s->cmask + 1) * sizeof(*s->cls));
	s->ncls = 0;
}

/*
 * The model's PDs.  The count is all summary shows, so a set of pids does,
 * without the per-pid commands pids_note() keeps: one bit set per object
 * and per edge rather than a lookup and a scan of the pid's commands.
 */
static void s_obj(void *ctx, struct kobj *o)
{
	struct summary *s = ctx;

	s->owner = ~0ull;
	if (obj_has_owner(o)) {
		pidset_add(&s->pids, o->pid, 0);
		s->owner = (u64)o->pid;
	}
}

static inline u32 pair_hash(u64 ip, u32 cache)
{
	u64 h = (ip ^ (u64)cache << 40) * 0x9e3779b97f4a7c15ull;

	return (u32)(h >> 32);
}

static inline u32 kpair_hash(u64 key)
{
	return (u32)((key * 0x9e3779b97f4a7c15ull) >> 32);
}

static void pairs_grow(struct summary *s)
{
	struct pair *old = s->pairs;
	u32 oldn = old ? s->pmask + 1 : 0, n = oldn ? oldn * 2 : 1024;

	s->pairs = table_alloc((size_t)n * sizeof(*s->pairs));
	s->pmask = n - 1;
	for (u32 i = 0; i < oldn; i++) {
		u32 j;

		if (!old[i].used)
			continue;
		j = pair_hash(old[i].ip, old[i].cache) & s->pmask;
		while (s->pairs[j].used)
			j = (j + 1) & s->pmask;
		s->pairs[j] = old[i];
	}
	table_free(old, (size_t)oldn * sizeof(*old));
}

/* The pair's slot (h: its pair_hash()), taken if new. */
static inline struct pair *pair_of(struct summary *s, u64 ip, u32 cache, u32 h)
{
	u32 j = h & s->pmask;

	for (;; j = (j + 1) & s->pmask) {
		struct pair *p = &s->pairs[j];

		if (p->ip == ip && p->cache == cache && p->used)
			return p;
		if (!p->used)
			break;
	}
	if ((s->npairs + 1) * 2 > s->pmask + 1) {
		pairs_grow(s);
		return pair_of(s, ip, cache, h);
	}
	s->npairs++;
	s->pairs[j] = (struct pair){ ip, cache, 1, 0, 0 };
	return &s->pairs[j];
}

static void pair_add(struct summary *s, u64 ip, u32 cache, u64 reads, u64 writes)
{
	struct pair *p = pair_of(s, ip, cache, pair_hash(ip, cache));

	p->reads += reads;
	p->writes += writes;
}

static void kpairs_grow(struct summary *s)
{
	struct kpair *old = s->kpairs;
	u32 oldn = old ? s->kmask + 1 : 0, n = oldn ? oldn * 2 : s->kslots0;

	s->kpairs = table_alloc((size_t)n * sizeof(*s->kpairs));
	s->kmask = n - 1;
	for (u32 i = 0; i < oldn; i++) {
		u32 j;

		if (!old[i].key)
			continue;
		j = kpair_hash(old[i].key) & s->kmask;
		while (s->kpairs[j].key)
			j = (j + 1) & s->kmask;
		s->kpairs[j] = old[i];
	}
	table_free(old, (size_t)oldn * sizeof(*old));
}

static inline u64 kpair_ip_of(u64 key)
{
	return KERNEL_HI | (u32)key;
}

static inline u32 kpair_cache_of(u64 key)
{
	return (u32)(key >> 32) - 1;
}

/*
 * Counts too big for 32 bits, now or before, for the pair in slot p: the
 * pair's counts go to pairs[], and the slot says so.  Out of line: no
 * generated kmap, nor any real one, comes near.
 */
static __attribute__((noinline)) void kpair_move(struct summary *s,
						 struct kpair *p, u64 reads,
						 u64 writes)
{
	if (p->reads != KPAIR_MOVED || p->writes != KPAIR_MOVED) {
		reads += p->reads;
		writes += p->writes;
		p->reads = p->writes = KPAIR_MOVED;
	}
	pair_add(s, kpair_ip_of(p->key), kpair_cache_of(p->key), reads, writes);
}

/* Counts for the pair of key (a kpair_key()); any counts, those of a join too. */
static inline void kpair_add(struct summary *s, u64 key, u64 reads, u64 writes)
{
	struct kpair *p;
	u32 j;

again:
	for (j = kpair_hash(key) & s->kmask;; j = (j + 1) & s->kmask) {
		p = &s->kpairs[j];
		if (p->key == key)
			break;
		if (!p->key) {
			if (__builtin_expect((s->nkpairs + 1) * 2 > s->kmask + 1, 0)) {
				kpairs_grow(s);
				goto again;
			}
			s->nkpairs++;
			*p = (struct kpair){ key, 0, 0 };
			break;
		}
	}
	if (__builtin_expect(p->reads + reads < KPAIR_MOVED &&
			     p->writes + writes < KPAIR_MOVED, 1)) {
		p->reads += (u32)reads;
		p->writes += (u32)writes;
		return;
	}
	kpair_move(s, p, reads, writes);
}

static void pairs_flush(struct summary *s)
{
	for (u32 i = 0; i < s->nbatch; i++)
		kpair_add(s, s->batch[i].key, s->batch[i].reads, s->batch[i].writes);
	s->nbatch = 0;
}

/* An access that does not wait in the batch (see struct pending). */
static __attribute__((noinline)) void pair_add_now(struct summary *s, u64 ip,
						   u32 cache, u64 reads,
						   u64 writes)
{
	if (kpair_ip(ip))
		kpair_add(s, kpair_key(ip, cache), reads, writes);
	else
		pair_add(s, ip, cache, reads, writes);
}

/*
 * An access by pid to the current object (grouped input): a HOLD edge if
 * the pid is new to the object.  A count and the set of PDs is all summary
 * needs of the edges, so no edge is kept.  The allocator's own accesses,
 * most of them, are settled first: its PD and its HOLD came with the
 * object (s_obj(), s_end()), so they need no scan of the pids seen.
 */
static void note_pid(struct summary *s, const struct kobj *o, s64 pid)
{
	const u32 nscan = sizeof(s->apid) / sizeof(s->apid[0]);
	bool isnew;

	if (pid == o->pid && obj_has_owner(o))
		return;	/* after a flush */
	if (s->napid < nscan) {
		for (u32 i = 0; i < s->napid; i++)
			if (s->apid[i] == pid)
				return;
		s->apid[s->napid] = pid;
	} else {
		if (s->napid == nscan) {
			hmap_clear(&s->apids);
			for (u32 i = 0; i < nscan; i++)
				hmap_put(&s->apids, (u64)s->apid[i], 0, &isnew);
		}
		hmap_put(&s->apids, (u64)pid, 0, &isnew);
		if (!isnew)
			return;
	}
	s->napid++;
	s->nholds++;
	pidset_add(&s->pids, pid, 0);
}

/* The same for the exited PD of an access_pid -2 line: never the allocator. */
static __attribute__((noinline)) void note_exited(struct summary *s, u32 exited)
{
	bool isnew;

	if (!s->nxpd)
		hmap_clear(&s->xpds);
	hmap_put(&s->xpds, exited, 0, &isnew);
	if (!isnew)
		return;
	s->nxpd++;
	s->nholds++;
	pidset_add(&s->pids, PID_EXITED, exited);
}

/* The rest of s_acc() (b: whether the access went to the batch). */
static __attribute__((noinline)) void s_acc_rest(struct summary *s, struct kobj *o,
						 const struct kacc *a, bool b)
{
	if (!b)
		pair_add_now(s, a->ip, o->slab, a->reads, a->writes);
	else if (s->nbatch == PAIR_BATCH)
		pairs_flush(s);
	if (!s->c->grouped)
		edges_add(&s->es, o, 0, a);
	else if (__builtin_expect(a->pid == PID_EXITED, 0))
		note_exited(s, acc_exited(a));
	else
		note_pid(s, o, a->pid);
}

/*
 * Most accesses go to the batch and are the allocator's own (no new PD, no
 * HOLD; an allocator of pid -2 is not the exited PD of an access_pid -2):
 * that path calls nothing, so it needs no registers saved; the rest is
 * one call away.
 */
static void s_acc(void *ctx, struct kobj *o, const struct kacc *a)
{
	struct summary *s = ctx;
	bool b = kpair_ip(a->ip) && !((a->reads | a->writes) >> 32);

	if (__builtin_expect(b, 1)) {
		u64 key = kpair_key(a->ip, o->slab);

		__builtin_prefetch(&s->kpairs[kpair_hash(key) & s->kmask], 1);
		s->batch[s->nbatch++] = (struct pending){ key, (u32)a->reads,
							  (u32)a->writes };
	}
	if (!b || s->nbatch == PAIR_BATCH || !s->c->grouped || a->pid != o->pid ||
	    a->pid == PID_EXITED || !obj_has_owner(o))
		s_acc_rest(s, o, a, b);
}

static void flush_edges(struct summary *s)
{
	for (size_t i = 0; i < s->es.n; i++) {
		struct edge *e = &s->es.e[i];

		/* the allocator's HOLD is one edge, counted with its object */
		s->nholds += !edge_is_allocators(e);
		pidset_add(&s->pids, e->pid, e->exited);
	}
	edges_reset(&s->es);
}

/* The totals are the classes' (cls_fold()), but for the access lines. */
static void s_end(void *ctx, struct kobj *o)
{
	struct summary *s = ctx;
	struct agg *g = cls_of(s, o);
	bool live = o->free_index == 0;

	s->lines += o->naccess;
	g->objects++;
	if (!o->stub) {
		g->live += live;
		g->freed += !live;
	}
	g->bytes += o->size;
	g->reads += o->reads;
	g->writes += o->writes;
	top_offer(s, o);
	s->nholds += obj_has_owner(o);
	if (s->c->grouped)
		s->napid = s->nxpd = 0;
}

#ifdef HAVE_ACC_LINE32
/*
 * summary's own loop over a kmap (consumer.region): an access line as the
 * kernel prints it, three lines in four, is decoded and counted here,
 * s_acc()'s common case inline, with no record and no call in between;
 * an object line parse_obj_line() takes goes to s_end() and s_obj() the
 * same way.  Every other line goes to parse_line(), which delivers it to
 * s_obj(), s_acc() and s_end() as parse_region() would.  The numbers of
 * such an access line have at most 8 digits: its counts fit the batch, and
 * its pid equals s->owner only when it is the allocator's.
 */
static void s_region(struct sink *k, char *p, char *end)
{
	struct delivery *d = k->d;
	struct kobj *o = &d->cur, n;
	struct summary *s = d->c->ctx;

	while (p < end) {
		struct acc_fields f;
		const char *e;

		if (*p != ' ' || !k->have || !(e = acc_line32(p, &f))) {
			e = parse_obj_line(k, p, &n);
			if (e) {
				if (d->have)
					s_end(s, o);
				s_obj(s, deliver_obj(d, &n));
			} else {
				e = parse_line(k, p);
				if (!e)
					return;
			}
			p = (char *)e;
			continue;
		}
		if (!(++k->lines & 0xffff) && k->s)
			src_release(k->s, p);	/* as parse_line() does */
		o->reads += f.reads;
		o->writes += f.writes;
		o->naccess++;
		if (__builtin_expect(!kpair_ip(f.ip), 0)) {
			struct kacc a = { .ip = f.ip, .writes = f.writes,
					  .reads = f.reads, .pid = (s64)f.pid };

			s_acc(s, o, &a);
		} else {
			u64 key = kpair_key(f.ip, o->slab);

			__builtin_prefetch(&s->kpairs[kpair_hash(key) & s->kmask], 1);
			s->batch[s->nbatch++] = (struct pending){ key, (u32)f.reads,
								  (u32)f.writes };
			if (s->nbatch == PAIR_BATCH)
				pairs_flush(s);
			if (f.pid != s->owner)
				note_pid(s, o, (s64)f.pid);
		}
		p = (char *)e;
	}
}
#endif

static void s_finish(void *ctx)
{
	flush_edges(ctx);
	pairs_flush(ctx);
	cls_fold(ctx);
}

static void summary_init(struct summary *s, size_t topn, u32 kslots0,
			 const struct consumer *c)
{
	s->topn = topn;
	s->kslots0 = kslots0;
	s->c = c;
	s->heap = xmalloc((s->topn + 1) * sizeof(*s->heap));
	kpairs_grow(s);
	pairs_grow(s);
	cls_grow(s);
	edges_init(&s->es);
	hmap_init(&s->apids, 16);
	hmap_init(&s->xpds, 16);
	pidset_init(&s->pids);
	spaces_init(&s->ss);
}

static void summary_free(struct summary *s)
{
	free(s->heap);
	table_free(s->kpairs, (size_t)(s->kmask + 1) * sizeof(*s->kpairs));
	table_free(s->pairs, (size_t)(s->pmask + 1) * sizeof(*s->pairs));
	for (int k = 0; k < 3; k++)
		free(s->by[k]);
	free(s->cls);
	edges_free(&s->es);
	hmap_free(&s->apids);
	hmap_free(&s->xpds);
	pidset_free(&s->pids);
	spaces_free(&s->ss);
}

/* Another thread's summary of whole objects of the same kmap. */
static void *s_fork(void *ctx)
{
	struct summary *s = ctx, *t = xcalloc(1, sizeof(*t));

	summary_init(t, s->topn, s->kslots0, s->c);
	return t;
}

/* Everything is a sum, a union or a top list: t's part, added into s. */
static void s_join(void *ctx, void *part)
{
	struct summary *s = ctx, *t = part;

	s_finish(t);
	s->nobj += t->nobj;
	s->live += t->live;
	s->freed += t->freed;
	s->stubs += t->stubs;
	s->bytes += t->bytes;
	s->lines += t->lines;
	s->reads += t->reads;
	s->writes += t->writes;
	s->nholds += t->nholds;
	for (int k = 0; k < 3; k++)
		for (size_t i = 0; i < t->capby[k]; i++)
			if (t->by[k][i].objects)
				agg_add(agg_of(s, k, (u32)i), &t->by[k][i]);
	/* t's moved pairs are in its pairs[]: added from there */
	for (u32 i = 0; i <= t->kmask; i++) {
		struct kpair *b = &t->kpairs[i];

		if (b->key && (b->reads != KPAIR_MOVED || b->writes != KPAIR_MOVED))
			kpair_add(s, b->key, b->reads, b->writes);
	}
	for (u32 i = 0; i <= t->pmask; i++) {
		struct pair *b = &t->pairs[i];

		if (!b->used)
			continue;
		pair_add_now(s, b->ip, b->cache, b->reads, b->writes);
	}
	for (size_t i = 0; i < t->nheap; i++)
		top_add(s, &t->heap[i]);
	pidset_merge(&s->pids, &t->pids);
	spaces_merge(&s->ss, &t->ss);
	summary_free(t);
	free(t);
}

/*
 * The first size of the table of kernel addresses' pairs.  Growing it by
 * doubling faults in twice the memory of its final size (fresh pages,
 * cleared by the kernel: 10 % of a one-thread run) and rehashes every
 * pair at each step, so it starts at what the input may need: at most one
 * pair per access line, which takes 27 bytes or more, here 32; two slots
 * per pair.  Capped at 2^19 slots (8 MiB): memory stays flat in the
 * input's size, and a table that still grows past that is small next to
 * such an input's parsing.
 */
#define KSLOTS_MIN	4096u
#define KSLOTS_MAX	(1u << 19)

static u32 kslots_for(char **files, int nfiles)
{
	u64 bytes = 0, want;
	u32 n = KSLOTS_MIN;
	struct stat st;

	for (int i = 0; i < nfiles; i++)
		if (strcmp(files[i], "-") && !stat(files[i], &st) &&
		    S_ISREG(st.st_mode))
			bytes += (u64)st.st_size;
	want = bytes / 32 * 2;
	while (n < KSLOTS_MAX && n < want)
		n *= 2;
	return n;
}

/* ---- report ------------------------------------------------------------ */

static struct agg *sort_agg;

static int cmp_agg(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	if (sort_agg[x].objects != sort_agg[y].objects)
		return sort_agg[x].objects > sort_agg[y].objects ? -1 : 1;
	return strcmp(str_show(x), str_show(y));
}

static void print_by(struct summary *s, int k, const char *title)
{
	u32 *ids = xmalloc((s->capby[k] + 1) * sizeof(*ids));
	size_t n = 0;

	for (size_t i = 0; i < s->capby[k]; i++)
		if (s->by[k][i].objects)
			ids[n++] = (u32)i;
	sort_agg = s->by[k];
	sort_n(ids, n, sizeof(*ids), cmp_agg);
	printf("\nby %s:\n  %-24s %12s %12s %12s %12s %12s %12s\n", title,
	       "name", "objects", "live", "freed", "bytes", "reads", "writes");
	for (size_t i = 0; i < n; i++) {
		struct agg *g = &s->by[k][ids[i]];

		printf("  %-24s %12llu %12llu %12llu %12llu %12llu %12llu\n",
		       str_show(ids[i]), (unsigned long long)g->objects,
		       (unsigned long long)g->live, (unsigned long long)g->freed,
		       (unsigned long long)g->bytes, (unsigned long long)g->reads,
		       (unsigned long long)g->writes);
	}
	free(ids);
}

static int cmp_top(const void *a, const void *b)
{
	return obj_before(a, b) ? -1 : obj_before(b, a) ? 1 : 0;
}

static void print_top_objects(struct summary *s)
{
	char site[SYMBUF];

	sort_n(s->heap, s->nheap, sizeof(*s->heap), cmp_top);
	printf("\ntop %zu objects by accesses:\n  %12s %12s %12s  %s\n", s->topn,
	       "accesses", "reads", "writes",
	       "obj_va_ptr alloc_index size type cache command alloc_site");
	for (size_t i = 0; i < s->nheap; i++) {
		struct topobj *t = &s->heap[i];

		sym_format(t->alloc_ip, site, sizeof(site));
		printf("  %12llu %12llu %12llu  %llx %llu %llu %s %s %s %s",
		       (unsigned long long)t->total, (unsigned long long)t->reads,
		       (unsigned long long)t->writes, (unsigned long long)t->va,
		       (unsigned long long)t->alloc_index,
		       (unsigned long long)t->size, str_show(t->type),
		       str_show(t->slab), str_show(t->comm), site);
		if (syms_have_src() && *sym_src(t->alloc_ip))
			printf(" (%s)", sym_src(t->alloc_ip));
		putchar('\n');
	}
}

static int cmp_fn(const void *a, const void *b)
{
	const struct fn *x = a, *y = b;
	u64 tx = x->reads + x->writes, ty = y->reads + y->writes;
	int c;

	if (tx != ty)
		return tx > ty ? -1 : 1;
	/* ties: named functions by name, then raw addresses by value */
	if ((x->sym >= 0) != (y->sym >= 0))
		return x->sym >= 0 ? -1 : 1;
	if (x->sym >= 0) {
		c = strcmp(sym_name(x->sym), sym_name(y->sym));
		if (c)
			return c;
		if (x->sym != y->sym)
			return x->sym < y->sym ? -1 : 1;
	} else if (x->ip != y->ip) {
		return x->ip < y->ip ? -1 : 1;
	}
	return strcmp(str_show(x->cache), str_show(y->cache));
}

/* Functions, or (function, cache) pairs, folded from the (IP, cache) pairs. */
struct folded {
	struct fn *f;
	size_t n, cap;
	bool by_cache;
	struct hmap m;	/* (function, cache) -> index in f */
	/* entries that need no folding: only the best k kept, a heap */
	struct fn *top;	/* the last in cmp_fn()'s order on top */
	size_t ntop, k;
};

static void fn_swap(struct fn *a, struct fn *b)
{
	struct fn t = *a;

	*a = *b;
	*b = t;
}

/* Keeps f if it is among the k best offered so far. */
static void top_fn(struct folded *d, const struct fn *f)
{
	size_t i, n = d->ntop;
	struct fn *h = d->top;

	if (n < d->k) {
		h[n] = *f;
		for (i = d->ntop++; i && cmp_fn(&h[(i - 1) / 2], &h[i]) < 0; i = (i - 1) / 2)
			fn_swap(&h[(i - 1) / 2], &h[i]);
		return;
	}
	if (!n || f->reads + f->writes < h[0].reads + h[0].writes ||
	    cmp_fn(f, &h[0]) >= 0)
		return;
	h[0] = *f;
	for (i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && cmp_fn(&h[l], &h[m]) > 0)
			m = l;
		if (r < n && cmp_fn(&h[r], &h[m]) > 0)
			m = r;
		if (m == i)
			break;
		fn_swap(&h[i], &h[m]);
		i = m;
	}
}

static void fold_add(struct folded *d, long sym, const struct pair *p)
{
	u32 cache = d->by_cache ? p->cache : 0;
	struct fn *f;
	bool isnew;
	u32 *v;

	/* an IP no symbol folds: its (IP, cache) pairs are distinct already */
	if (sym < 0 && d->by_cache) {
		struct fn e = { .sym = -1, .ip = p->ip, .cache = cache,
				.reads = p->reads, .writes = p->writes };

		top_fn(d, &e);
		return;
	}
	v = hmap_put(&d->m, sym >= 0 ? (u64)sym : p->ip,
		     (sym >= 0 ? 1ull << 32 : 0) | cache, &isnew);
	if (isnew) {
		GROW(d->f, d->cap, d->n + 1);
		*v = (u32)d->n;
		d->f[d->n] = (struct fn){ .sym = sym, .ip = sym >= 0 ? 0 : p->ip,
					  .cache = cache };
		f = &d->f[d->n++];
	} else {
		f = &d->f[*v];
	}
	f->reads += p->reads;
	f->writes += p->writes;
}

/* Both foldings in one pass over the pairs; the top of each sorted first. */
static void fold(struct summary *s, struct folded *fns, struct folded *pairs)
{
	memset(fns, 0, sizeof(*fns));
	memset(pairs, 0, sizeof(*pairs));
	pairs->by_cache = true;
	pairs->k = s->topn;
	pairs->top = xmalloc((s->topn + 1) * sizeof(*pairs->top));
	/* functions are far fewer than pairs: tables that stay in cache */
	hmap_init(&fns->m, 0);
	hmap_init(&pairs->m, 0);
	for (size_t i = 0; i <= s->kmask; i++) {
		struct kpair *k = &s->kpairs[i];
		struct pair p = {
			.ip = kpair_ip_of(k->key),
			.cache = kpair_cache_of(k->key),
			.reads = k->reads, .writes = k->writes,
		};
		long sym;

		if (!k->key || (k->reads == KPAIR_MOVED && k->writes == KPAIR_MOVED))
			continue;	/* moved pairs: in pairs[] */
		sym = sym_index(p.ip);
		fold_add(fns, sym, &p);
		fold_add(pairs, sym, &p);
	}
	for (size_t i = 0; i <= s->pmask; i++) {
		struct pair *p = &s->pairs[i];
		long sym;

		if (!p->used)
			continue;
		sym = sym_index(p->ip);
		fold_add(fns, sym, p);
		fold_add(pairs, sym, p);
	}
	hmap_free(&fns->m);
	hmap_free(&pairs->m);
	GROW(pairs->f, pairs->cap, pairs->n + pairs->ntop + 1);
	memcpy(pairs->f + pairs->n, pairs->top, pairs->ntop * sizeof(*pairs->top));
	pairs->n += pairs->ntop;
	free(pairs->top);
	/* only the top are shown: there may be 10^5 pairs */
	sort_top(fns->f, fns->n, s->topn, sizeof(*fns->f), cmp_fn);
	sort_top(pairs->f, pairs->n, s->topn, sizeof(*pairs->f), cmp_fn);
}

static void print_fns(struct summary *s, struct folded *d)
{
	struct fn *f = d->f;

	if (d->by_cache)
		printf("\ntop %zu (function, cache) pairs:\n", s->topn);
	else
		printf("\ntop %zu accessing functions:\n", s->topn);
	printf("  %12s %12s %12s  %s\n", "accesses", "reads", "writes",
	       d->by_cache ? "function cache" : "function");
	for (size_t i = 0; i < d->n && i < s->topn; i++) {
		char name[SYMBUF];

		if (f[i].sym >= 0)
			sym_func_name(f[i].sym, name, sizeof(name));
		else
			snprintf(name, sizeof(name), "%llx", (unsigned long long)f[i].ip);
		printf("  %12llu %12llu %12llu  %s",
		       (unsigned long long)(f[i].reads + f[i].writes),
		       (unsigned long long)f[i].reads,
		       (unsigned long long)f[i].writes, name);
		if (d->by_cache)
			printf(" %s", str_show(f[i].cache));
		putchar('\n');
	}
	free(f);
}

static void report(struct summary *s)
{
	struct folded fns, pairs;
	size_t npd = pidset_count(&s->pids), nmap = 0;

	printf("objects: %llu (live %llu, freed %llu", (unsigned long long)s->nobj,
	       (unsigned long long)s->live, (unsigned long long)s->freed);
	if (s->stubs)
		printf(", only in accesses %llu", (unsigned long long)s->stubs);
	printf("), %llu bytes\n", (unsigned long long)s->bytes);
	printf("accesses: %llu lines, %llu reads, %llu writes\n",
	       (unsigned long long)s->lines, (unsigned long long)s->reads,
	       (unsigned long long)s->writes);
	for (size_t i = 0; i < s->ss.n; i++)
		nmap += s->ss.v[i].map >= 0;
	/* as modelstate writes it: PD_KERNEL holds the spaces, pids request */
	printf("model: %zu PD nodes, %llu RESOURCE nodes, %zu RESOURCE_SPACE nodes, "
	       "%llu HOLD edges, %llu SUBSET edges, %zu MAP edges, %zu REQUEST edges\n",
	       npd + (s->ss.n > 0), (unsigned long long)s->nobj, s->ss.n,
	       (unsigned long long)(s->nholds + s->ss.n),
	       (unsigned long long)s->nobj, nmap, npd);
	print_by(s, 0, "alloc_type");
	print_by(s, 1, "slab cache");
	print_by(s, 2, "command");
	print_top_objects(s);
	fold(s, &fns, &pairs);
	print_fns(s, &fns);
	print_fns(s, &pairs);
}

int cmd_summary(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "top", 1, NULL, 'n' },
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct common co = { 0 };
	struct summary s = { 0 };
	struct consumer c = {
		.obj = s_obj, .acc = s_acc, .end = s_end, .finish = s_finish,
		.fork = s_fork, .join = s_join, .ctx = &s,
#ifdef HAVE_ACC_LINE32
		.region = s_region,
#endif
	};
	int opt;

	size_t topn = 10;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS "n:", lo, NULL)) != -1) {
		if (common_opt(&co, opt, optarg, "summary", usage_text))
			continue;
		switch (opt) {
		case 'n':
			topn = opt_u64("--top", optarg);
			if (topn > 1000000)
				die_usage("--top: at most 1000000");
			break;
		}
	}
	common_setup(&co);
	summary_init(&s, topn, kslots_for(argv + optind, argc - optind), &c);
	read_inputs(argv + optind, argc - optind, &co.ro, &c);
	report(&s);
	xfclose_out(stdout, "-");
	summary_free(&s);
	return 0;
}
