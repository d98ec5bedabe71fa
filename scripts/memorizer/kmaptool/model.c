// SPDX-License-Identifier: GPL-2.0
/*
 * The protection-domain model shared by summary, modelstate, share and dot,
 * kept in one place so that their node and edge counts agree by
 * construction.
 *
 * A PD is a pid.  Access lines carry only a pid, not a command, and a pid
 * that execs allocates under two commands, so (pid, command) cannot name the
 * PD an access belongs to; the commands a pid ran under are its attribute.
 * The exception is access_pid -2, the kernel's aggregate of the exited
 * tasks of a command, which names the command: each command's is a PD,
 * "exited:COMMAND" (kmaptool.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kmaptool.h"

/* ---- PDs ----------------------------------------------------------------- */

int pd_cmp(s64 pid_a, u32 exited_a, s64 pid_b, u32 exited_b)
{
	size_t la, lb;
	int c;

	if (!exited_a || !exited_b) {
		if (exited_a || exited_b)
			return exited_a ? 1 : -1;
		return (pid_a > pid_b) - (pid_a < pid_b);
	}
	la = str_len(exited_a - 1);
	lb = str_len(exited_b - 1);
	c = memcmp(str_get(exited_a - 1), str_get(exited_b - 1), la < lb ? la : lb);
	if (c)
		return c;
	return (la > lb) - (la < lb);
}

char *pd_exited_name(u32 exited)
{
	size_t n = str_len(exited - 1);
	char *s = xmalloc(sizeof("exited:") + n);

	memcpy(s, "exited:", 7);
	memcpy(s + 7, str_get(exited - 1), n);
	s[7 + n] = '\0';
	return s;
}

/*
 * The hash key of (object seq, PD): a pid's is (seq, pid), an exited PD's
 * (seq with the top bit, exited), which no seq has.
 */
static inline u64 edge_key_a(u64 seq, u32 exited)
{
	return exited ? seq | 1ull << 63 : seq;
}

static inline u64 edge_key_b(s64 pid, u32 exited)
{
	return exited ? exited : (u64)pid;
}

/* ---- (object, PD) access edges ----------------------------------------- */

void edges_init(struct edgeset *es)
{
	memset(es, 0, sizeof(*es));
	hmap_init(&es->h, 64);
}

static struct edge *edge_new(struct edgeset *es, const struct kobj *o,
			     u32 group, s64 pid, u32 exited)
{
	struct edge *e;

	GROW(es->e, es->cap, es->n + 1);
	e = &es->e[es->n++];
	e->seq = o->seq;
	e->pid = pid;
	e->exited = exited;
	e->reads = e->writes = 0;
	e->va = o->va;
	e->alloc_index = o->alloc_index;
	e->size = o->size;
	e->alloc_ip = o->alloc_ip;
	e->alloc_pid = o->pid;
	e->owned = obj_has_owner(o);
	e->group = group;
	return e;
}

/*
 * An object is accessed by one or a few pids: a short linear scan beats
 * hashing, until the set grows (ungrouped input, or a very shared object).
 */
#define EDGES_SCAN 8

/* Made twice: for pids (exited 0, the common case) and for exited PDs. */
static inline __attribute__((always_inline))
void edges_add_pd(struct edgeset *es, const struct kobj *o, u32 group,
		  const struct kacc *a, u32 exited)
{
	struct edge *e = NULL;
	bool isnew;
	u32 *v;

	if (!es->hashed) {
		for (size_t i = es->n; i-- > 0;) {
			if (es->e[i].seq == o->seq && es->e[i].pid == a->pid &&
			    es->e[i].exited == exited) {
				e = &es->e[i];
				break;
			}
		}
		if (!e && es->n < EDGES_SCAN)
			e = edge_new(es, o, group, a->pid, exited);
		if (!e) {
			es->hashed = true;
			for (size_t i = 0; i < es->n; i++) {
				v = hmap_put(&es->h,
					     edge_key_a(es->e[i].seq, es->e[i].exited),
					     edge_key_b(es->e[i].pid, es->e[i].exited),
					     &isnew);
				*v = (u32)i;
			}
		}
	}
	if (!e) {
		v = hmap_put(&es->h, edge_key_a(o->seq, exited),
			     edge_key_b(a->pid, exited), &isnew);
		if (isnew) {
			*v = (u32)es->n;
			edge_new(es, o, group, a->pid, exited);
		}
		e = &es->e[*v];
	}
	e->reads += a->reads;
	e->writes += a->writes;
}

static __attribute__((noinline)) void edges_add_exited(struct edgeset *es,
		const struct kobj *o, u32 group, const struct kacc *a)
{
	edges_add_pd(es, o, group, a, acc_exited(a));
}

void edges_add(struct edgeset *es, const struct kobj *o, u32 group,
	       const struct kacc *a)
{
	if (__builtin_expect(a->pid == PID_EXITED, 0))
		edges_add_exited(es, o, group, a);
	else
		edges_add_pd(es, o, group, a, 0);
}

struct edge *edges_find(struct edgeset *es, u64 seq, s64 pid, u32 exited)
{
	u32 *v;

	if (es->hashed) {
		v = hmap_get(&es->h, edge_key_a(seq, exited),
			     edge_key_b(pid, exited));
		return v ? &es->e[*v] : NULL;
	}
	for (size_t i = 0; i < es->n; i++)
		if (es->e[i].seq == seq && es->e[i].pid == pid &&
		    es->e[i].exited == exited)
			return &es->e[i];
	return NULL;
}

void edges_reset(struct edgeset *es)
{
	es->n = 0;
	if (es->hashed) {
		hmap_clear(&es->h);
		es->hashed = false;
	}
}

void edges_free(struct edgeset *es)
{
	free(es->e);
	hmap_free(&es->h);
}

/* ---- PDs: pids, and exited tasks by command -------------------------------- */

static struct pidinfo **pidv;
static size_t npids, cappids;
static struct hmap pidmap;	/* (pid, exited) outside dense[] */
/*
 * Linux pids are below 4M (PID_MAX_LIMIT): index them directly instead of
 * hashing one per access edge.
 */
#define DENSE_MAX (1u << 22)
static struct pidinfo **dense;
static size_t capdense;
static u32 irq_hard, irq_soft;
/* The pid looked up last (no pid value is reserved to mean "none"). */
static s64 last_pid;
static struct pidinfo *last_info;

void pids_init(void)
{
	hmap_init(&pidmap, 256);
	irq_hard = str_intern("hardirq", 7);
	irq_soft = str_intern("softirq", 7);
}

bool comm_is_irq(u32 comm)
{
	return comm == irq_hard || comm == irq_soft;
}

struct pidinfo *pids_find(s64 pid, u32 exited)
{
	u32 *v;

	if (!exited && pid >= 0 && pid < DENSE_MAX)
		return (size_t)pid < capdense ? dense[pid] : NULL;
	v = hmap_get(&pidmap, (u64)pid, exited);
	return v ? pidv[*v] : NULL;
}

static struct pidinfo *pid_new(s64 pid, u32 exited)
{
	struct pidinfo *p = xcalloc(1, sizeof(*p));

	p->pid = pid;
	p->exited = exited;
	GROW(pidv, cappids, npids + 1);
	pidv[npids++] = p;
	return p;
}

bool pid_has_comm(const struct pidinfo *p, u32 comm)
{
	for (u32 i = 0; i < p->ncomms; i++)
		if (p->comms[i] == comm)
			return true;
	return false;
}

/*
 * Interrupt context is labelled by the kernel, not run by this pid; it
 * stays out of the pid's commands.
 */
static inline void pid_add_comm(struct pidinfo *p, u32 comm)
{
	if (comm && !comm_is_irq(comm) && !pid_has_comm(p, comm)) {
		size_t cap = p->capcomms;

		GROW(p->comms, cap, (size_t)p->ncomms + 1);
		p->capcomms = (u32)cap;
		p->comms[p->ncomms++] = comm;
	}
}

/* An exited PD: its command (a task's, never an interrupt label) its comm. */
static __attribute__((noinline)) struct pidinfo *exited_note(s64 pid, u32 exited)
{
	struct pidinfo *p;
	bool isnew;
	u32 *v = hmap_put(&pidmap, (u64)pid, exited, &isnew);

	if (isnew) {
		p = pid_new(pid, exited);
		*v = (u32)(npids - 1);
		if (exited > 1) {
			p->comms = xmalloc(sizeof(*p->comms));
			p->comms[0] = exited - 1;
			p->ncomms = p->capcomms = 1;
		}
	}
	return pidv[*v];
}

struct pidinfo *pids_note(s64 pid, u32 exited, u32 comm)
{
	struct pidinfo *p;
	bool isnew;
	u32 *v;

	if (__builtin_expect(exited, 0))
		return exited_note(pid, exited);
	if (last_info && pid == last_pid) {
		p = last_info;
	} else if (pid >= 0 && pid < DENSE_MAX) {
		if ((size_t)pid >= capdense) {
			size_t old = capdense;

			GROW(dense, capdense, (size_t)pid + 1);
			memset(dense + old, 0, (capdense - old) * sizeof(*dense));
		}
		p = dense[pid];
		if (!p)
			p = dense[pid] = pid_new(pid, 0);
	} else {
		v = hmap_put(&pidmap, (u64)pid, 0, &isnew);
		if (isnew) {
			pid_new(pid, 0);
			*v = (u32)(npids - 1);
		}
		p = pidv[*v];
	}
	last_pid = pid;
	last_info = p;
	pid_add_comm(p, comm);
	return p;
}

void pids_free(void)
{
	for (size_t i = 0; i < npids; i++) {
		free(pidv[i]->comms);
		free(pidv[i]);
	}
	free(pidv);
	free(dense);
	hmap_free(&pidmap);
	pidv = NULL;
	dense = NULL;
	npids = cappids = capdense = 0;
	last_info = NULL;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct pidinfo *x = *(struct pidinfo *const *)a;
	const struct pidinfo *y = *(struct pidinfo *const *)b;

	return pd_cmp(x->pid, x->exited, y->pid, y->exited);
}

struct pidinfo **pids_sorted(size_t *n)
{
	struct pidinfo **v = xmalloc((npids ? npids : 1) * sizeof(*v));

	if (npids)
		memcpy(v, pidv, npids * sizeof(*v));
	sort_n(v, npids, sizeof(*v), cmp_pid);
	for (size_t i = 0; i < npids; i++)
		v[i]->idx = (u32)i;
	*n = npids;
	return v;
}

char *pid_comms_joined(const struct pidinfo *p)
{
	size_t len = 1, off = 0;
	char *s;

	for (u32 i = 0; i < p->ncomms; i++)
		len += str_len(p->comms[i]) + 1;
	s = xmalloc(len);
	for (u32 i = 0; i < p->ncomms; i++) {
		if (i)
			s[off++] = '|';
		memcpy(s + off, str_get(p->comms[i]), str_len(p->comms[i]));
		off += str_len(p->comms[i]);
	}
	s[off] = '\0';
	return s;
}

/* ---- sets of PDs ------------------------------------------------------- */

/*
 * What a PD count needs: the same PDs as pids_note() records, without a
 * struct per PD and its commands; one bit per pid, set once per edge.
 */
void pidset_init(struct pidset *ps)
{
	memset(ps, 0, sizeof(*ps));
	hmap_init(&ps->other, 16);
}

void pidset_add_slow(struct pidset *ps, s64 pid, u32 exited)
{
	bool isnew;

	if (!exited && pid >= 0 && pid < PIDSET_DENSE) {
		size_t w = (size_t)pid / 64, old = ps->nwords;

		if (w >= old) {
			GROW(ps->bits, ps->nwords, w + 1);
			memset(ps->bits + old, 0, (ps->nwords - old) * sizeof(u64));
		}
		ps->bits[w] |= 1ull << (pid % 64);
		return;
	}
	hmap_put(&ps->other, (u64)pid, exited, &isnew);
}

void pidset_free(struct pidset *ps)
{
	free(ps->bits);
	hmap_free(&ps->other);
}

void pidset_merge(struct pidset *ps, const struct pidset *from)
{
	u32 it = 0, val;
	bool isnew;
	u64 a, b;

	if (from->nwords > ps->nwords) {
		size_t old = ps->nwords;

		GROW(ps->bits, ps->nwords, from->nwords);
		memset(ps->bits + old, 0, (ps->nwords - old) * sizeof(u64));
	}
	for (size_t i = 0; i < from->nwords; i++)
		ps->bits[i] |= from->bits[i];
	while (hmap_next(&from->other, &it, &a, &b, &val))
		hmap_put(&ps->other, a, b, &isnew);
}

size_t pidset_count(const struct pidset *ps)
{
	size_t n = ps->other.n;

	for (size_t i = 0; i < ps->nwords; i++)
		n += (size_t)__builtin_popcountll(ps->bits[i]);
	return n;
}

/* ---- the OSmosis model: resource spaces --------------------------------- */

static const char *const kind_names[] = {
	[SP_CACHE] = "cache", [SP_PAGES] = "pages", [SP_VMALLOC] = "vmalloc",
	[SP_MEMBLOCK] = "memblock", [SP_GLOBALS] = "globals",
	[SP_CATCHALL] = "catchall", [SP_TYPE] = "type", [SP_UNKNOWN] = "unknown",
};

static const char *const kind_ids[] = {
	[SP_CACHE] = "RS_CACHE_", [SP_PAGES] = "RS_PAGES",
	[SP_VMALLOC] = "RS_VMALLOC", [SP_MEMBLOCK] = "RS_MEMBLOCK",
	[SP_GLOBALS] = "RS_GLOBALS", [SP_CATCHALL] = "RS_CATCHALL_",
	[SP_TYPE] = "RS_TYPE_", [SP_UNKNOWN] = "RS_UNKNOWN",
};

const char *space_kind_name(enum space_kind k)
{
	return kind_names[k];
}

static u32 type_ids[NR_ALLOC_TYPES];
static pthread_once_t type_ids_once = PTHREAD_ONCE_INIT;

static void type_ids_init(void)
{
	for (int i = 0; i < NR_ALLOC_TYPES; i++)
		type_ids[i] = str_intern(alloc_type_names[i],
					 strlen(alloc_type_names[i]));
}

/*
 * Which alloc_type an interned type name is, or -1.  summary's threads
 * may ask first at the same moment: the ids are set once for all.
 */
static int type_number(u32 type)
{
	pthread_once(&type_ids_once, type_ids_init);
	for (int i = 0; i < NR_ALLOC_TYPES; i++)
		if (type_ids[i] == type)
			return i;
	return -1;
}

void spaces_init(struct spaces *ss)
{
	memset(ss, 0, sizeof(*ss));
	hmap_init(&ss->h, 64);
}

void spaces_free(struct spaces *ss)
{
	for (size_t i = 0; i < ss->n; i++) {
		free(ss->v[i].id);
		free(ss->v[i].json);
	}
	free(ss->v);
	hmap_free(&ss->h);
}

/* s as a CSV field (quoted when it has to be), malloc'd. */
static char *csv_dup(const char *s, size_t len, size_t *outlen)
{
	char *buf;
	size_t n;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		die("out of memory");
	csv_field(f, s, len);
	if (fclose(f))
		die("out of memory");
	*outlen = n;
	return buf;
}

static u32 space_get(struct spaces *ss, enum space_kind kind, u32 name);

/* What a space draws its memory from. */
static int space_map(struct spaces *ss, enum space_kind kind, u32 name)
{
	switch (kind) {
	case SP_CACHE:		/* slabs are pages */
	case SP_VMALLOC:	/* vmalloc maps pages */
		return (int)space_get(ss, SP_PAGES, 0);
	case SP_PAGES:		/* the buddy allocator is fed from memblock */
		return (int)space_get(ss, SP_MEMBLOCK, 0);
	case SP_TYPE:
		switch (type_number(name)) {
		case 0x7:	/* KMALLOC, KMALLOC_ND outside a cache: large */
		case 0x8:	/* kmalloc, straight from the page allocator */
		case 0x3:	/* STACK_PAGE */
			return (int)space_get(ss, SP_PAGES, 0);
		}
		return -1;
	default:
		return -1;
	}
}

static u32 space_get(struct spaces *ss, enum space_kind kind, u32 name)
{
	struct space *sp;
	bool isnew;
	u32 *v = hmap_put(&ss->h, kind, name, &isnew);
	char *s, *j;
	size_t n;
	int map;

	if (!isnew)
		return *v;
	*v = UINT32_MAX;	/* not yet: space_map() may add others first */
	map = space_map(ss, kind, name);
	n = strlen(kind_ids[kind]) + str_len(name);
	s = xmalloc(n + 1);
	memcpy(s, kind_ids[kind], strlen(kind_ids[kind]));
	memcpy(s + strlen(kind_ids[kind]), str_get(name), str_len(name) + 1);
	/* {"space":"cache","name":"..."}: names are escaped for JSON */
	{
		char *buf;
		size_t blen;
		FILE *f = open_memstream(&buf, &blen);

		if (!f)
			die("out of memory");
		fprintf(f, "{\"space\":\"%s\"", kind_names[kind]);
		if (name) {
			fputs(",\"name\":", f);
			json_str(f, str_get(name), str_len(name));
		}
		fputc('}', f);
		if (fclose(f))
			die("out of memory");
		j = buf;
		n = blen;
	}
	GROW(ss->v, ss->cap, ss->n + 1);
	sp = &ss->v[ss->n];
	sp->kind = kind;
	sp->name = name;
	sp->map = map;
	sp->id = csv_dup(s, strlen(s), &sp->idlen);
	sp->json = csv_dup(j, n, &sp->jsonlen);
	free(s);
	free(j);
	v = hmap_get(&ss->h, kind, name);
	*v = (u32)ss->n;
	return (u32)ss->n++;
}

void spaces_merge(struct spaces *ss, const struct spaces *from)
{
	for (size_t i = 0; i < from->n; i++)
		space_get(ss, from->v[i].kind, from->v[i].name);
}

u32 space_of(struct spaces *ss, const struct kobj *o)
{
	bool catchall = obj_is_catchall(o);
	u32 slab = o->slab == noslab_id() ? 0 : o->slab;
	u32 type = o->type | (catchall ? 1u << 31 : 0) | (o->stub ? 1u << 30 : 0);
	u32 h = (type * 0x9e3779b1u ^ slab * 0x85ebca6bu) >> 24;
	enum space_kind kind;
	u32 name = 0;

	h &= SPACE_CACHE - 1;
	if (ss->cache[h].used && ss->cache[h].type == type && ss->cache[h].slab == slab)
		return ss->cache[h].idx;
	if (o->stub) {
		kind = SP_UNKNOWN;
	} else if (catchall) {
		kind = SP_CATCHALL;
		name = o->type;
	} else if (slab) {
		kind = SP_CACHE;
		name = slab;
	} else {
		switch (type_number(o->type)) {
		case 0xd: case 0xe: case 0xf: case 0x10:	/* ALLOC_PAGES* */
			kind = SP_PAGES;
			break;
		case 0xc:
			kind = SP_VMALLOC;
			break;
		case 0x12: case 0x13: case 0x14:	/* BOOTMEM, (UFO_)MEMBLOCK */
			kind = SP_MEMBLOCK;
			break;
		case 0x6: case 0x18:			/* (UFO_)GLOBAL */
			kind = SP_GLOBALS;
			break;
		default:
			kind = SP_TYPE;
			name = o->type;
		}
	}
	ss->cache[h].type = type;
	ss->cache[h].slab = slab;
	ss->cache[h].used = 1;
	ss->cache[h].idx = space_get(ss, kind, name);
	return ss->cache[h].idx;
}
