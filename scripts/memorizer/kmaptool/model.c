// SPDX-License-Identifier: GPL-2.0
/*
 * The protection-domain model shared by summary, modelstate, share and dot,
 * kept in one place so that their node and edge counts agree by
 * construction.
 *
 * A PD is a pid.  Access lines carry only a pid, not a command, and a pid
 * that execs allocates under two commands, so (pid, command) cannot name the
 * PD an access belongs to; the commands a pid ran under are its attribute.
 */
#include <stdlib.h>
#include <string.h>

#include "kmaptool.h"

/* ---- (object, pid) access edges ---------------------------------------- */

void edges_init(struct edgeset *es)
{
	memset(es, 0, sizeof(*es));
	hmap_init(&es->h, 64);
}

static struct edge *edge_new(struct edgeset *es, const struct kobj *o,
			     u32 group, s64 pid)
{
	struct edge *e;

	GROW(es->e, es->cap, es->n + 1);
	e = &es->e[es->n++];
	e->seq = o->seq;
	e->pid = pid;
	e->reads = e->writes = 0;
	e->va = o->va;
	e->alloc_index = o->alloc_index;
	e->size = o->size;
	e->alloc_ip = o->alloc_ip;
	e->group = group;
	return e;
}

/*
 * An object is accessed by one or a few pids: a short linear scan beats
 * hashing, until the set grows (ungrouped input, or a very shared object).
 */
#define EDGES_SCAN 8

void edges_add(struct edgeset *es, const struct kobj *o, u32 group,
	       const struct kacc *a)
{
	struct edge *e = NULL;
	bool isnew;
	u32 *v;

	if (!es->hashed) {
		for (size_t i = es->n; i-- > 0;) {
			if (es->e[i].seq == o->seq && es->e[i].pid == a->pid) {
				e = &es->e[i];
				break;
			}
		}
		if (!e && es->n < EDGES_SCAN)
			e = edge_new(es, o, group, a->pid);
		if (!e) {
			es->hashed = true;
			for (size_t i = 0; i < es->n; i++) {
				v = hmap_put(&es->h, es->e[i].seq,
					     (u64)es->e[i].pid, &isnew);
				*v = (u32)i;
			}
		}
	}
	if (!e) {
		v = hmap_put(&es->h, o->seq, (u64)a->pid, &isnew);
		if (isnew) {
			*v = (u32)es->n;
			edge_new(es, o, group, a->pid);
		}
		e = &es->e[*v];
	}
	e->reads += a->reads;
	e->writes += a->writes;
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

/* ---- pids -------------------------------------------------------------- */

static struct pidinfo **pidv;
static size_t npids, cappids;
static struct hmap pidmap;	/* pids outside dense[] */
/*
 * Linux pids are below 4M (PID_MAX_LIMIT): index them directly instead of
 * hashing one per access edge.
 */
#define DENSE_MAX (1u << 22)
static struct pidinfo **dense;
static size_t capdense;
static u32 irq_hard, irq_soft;
static s64 last_pid = INT64_MIN;
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

struct pidinfo *pids_find(s64 pid)
{
	u32 *v;

	if (pid >= 0 && pid < DENSE_MAX)
		return (size_t)pid < capdense ? dense[pid] : NULL;
	v = hmap_get(&pidmap, (u64)pid, 0);
	return v ? pidv[*v] : NULL;
}

static struct pidinfo *pid_new(s64 pid)
{
	struct pidinfo *p = xcalloc(1, sizeof(*p));

	p->pid = pid;
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

struct pidinfo *pids_note(s64 pid, u32 comm)
{
	struct pidinfo *p;
	bool isnew;
	u32 *v;

	if (pid == last_pid) {
		p = last_info;
	} else if (pid >= 0 && pid < DENSE_MAX) {
		if ((size_t)pid >= capdense) {
			size_t old = capdense;

			GROW(dense, capdense, (size_t)pid + 1);
			memset(dense + old, 0, (capdense - old) * sizeof(*dense));
		}
		p = dense[pid];
		if (!p)
			p = dense[pid] = pid_new(pid);
	} else {
		v = hmap_put(&pidmap, (u64)pid, 0, &isnew);
		if (isnew) {
			pid_new(pid);
			*v = (u32)(npids - 1);
		}
		p = pidv[*v];
	}
	last_pid = pid;
	last_info = p;
	/*
	 * Interrupt context is labelled by the kernel, not run by this pid;
	 * it stays out of the pid's commands.
	 */
	if (comm && !comm_is_irq(comm) && !pid_has_comm(p, comm)) {
		size_t cap = p->capcomms;

		GROW(p->comms, cap, (size_t)p->ncomms + 1);
		p->capcomms = (u32)cap;
		p->comms[p->ncomms++] = comm;
	}
	return p;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct pidinfo *x = *(struct pidinfo *const *)a;
	const struct pidinfo *y = *(struct pidinfo *const *)b;

	return (x->pid > y->pid) - (x->pid < y->pid);
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

/* ---- sets of pids ------------------------------------------------------ */

/*
 * What a PD count needs: the same pids as pids_note() records, without a
 * struct per pid and its commands; one bit each, set once per edge.
 */
void pidset_init(struct pidset *ps)
{
	memset(ps, 0, sizeof(*ps));
	hmap_init(&ps->other, 16);
}

void pidset_add(struct pidset *ps, s64 pid)
{
	bool isnew;

	if (pid >= 0 && pid < DENSE_MAX) {
		size_t w = (size_t)pid / 64, old = ps->nwords;

		if (w >= old) {
			GROW(ps->bits, ps->nwords, w + 1);
			memset(ps->bits + old, 0, (ps->nwords - old) * sizeof(u64));
		}
		ps->bits[w] |= 1ull << (pid % 64);
		return;
	}
	hmap_put(&ps->other, (u64)pid, 0, &isnew);
}

size_t pidset_count(const struct pidset *ps)
{
	size_t n = ps->other.n;

	for (size_t i = 0; i < ps->nwords; i++)
		n += (size_t)__builtin_popcountll(ps->bits[i]);
	return n;
}
