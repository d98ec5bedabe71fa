// SPDX-License-Identifier: GPL-2.0
/*
 * metrics: OSmosis's resource-sharing index (RSI) per resource type and
 * fault reach (FR) between two PDs, computed on the model that modelstate
 * writes (model.c) the way OSmosis's metrics.py computes them on its CSV:
 *
 *  - R_i: the RESOURCE nodes reachable from PD i over 1 to 4 HOLD or MAP
 *    edges.  In the model a pid HOLDs objects and nothing HOLDs or MAPs
 *    from an object, so R_i is what pid i allocated or accessed; the
 *    kernel PD reaches only spaces, so its R is empty.
 *  - RSI T = |R1 & R2 of DATA T| / |R1 | R2 of DATA T|, 0 for an empty
 *    union; for MO the sizes are sums of the page counts in EXTRA.  Every
 *    resource is an MO, so the other types print 0.
 *  - FR: breadth-first over REQUEST edges whose DATA is in the set of
 *    types the PD HOLDs, from each PD; the smallest depth at which a node
 *    was reached by both, counting either run (inf when none).
 *
 * Only objects one of the two PDs holds are kept.  A PD named by command
 * is known only at the end, so its HOLD edges are spilled to a temporary
 * file and replayed (as share does).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kmaptool.h"

static const char usage_text[] =
	"Usage: " KT_NAME " metrics [OPTIONS] PD1 PD2 [FILE...]\n"
	"OSmosis's metrics between two PDs of the model 'modelstate' writes, as\n"
	"its metrics.py computes and prints them:\n"
	"  RSI VMR: ...   RSI MO: ...   RSI VCPU: ...   RSI PCPU: ...\n"
	"  RSI FILE: ...  RSI BLOCK: ...  FR: ...\n"
	"RSI T = shared / all resources of type T the two PDs hold (MO weighted by\n"
	"pages; 0 when they hold none); FR = fewest REQUEST hops to a PD both\n"
	"reach (inf when none).  A PD is a NODE_ID (PD_KERNEL, PD_<pid>,\n"
	"PD_exited:<command>), a pid, exited:<command> (access_pid -2: the exited\n"
	"tasks of that command), or a command (the pid that allocated most\n"
	"objects under it).\n"
	"\n"
	COMMON_USAGE;

/* OSmosis's resource types, in metrics.py's order; ours are all MO. */
static const char *const rsi_types[] = { "VMR", "MO", "VCPU", "PCPU", "FILE", "BLOCK" };

enum sel_kind { SEL_KERNEL, SEL_PID, SEL_COMM };

struct sel {
	const char *text;
	enum sel_kind kind;
	s64 pid;	/* SEL_PID, and SEL_COMM once resolved */
	u32 exited;	/* SEL_PID: with pid, the PD */
	u32 comm;
	bool seen;	/* the PD is in the model */
	struct hmap allocs;	/* SEL_COMM: pid -> objects allocated under comm */
};

struct held {		/* an object one of the PDs holds */
	u64 pages;
	unsigned in;	/* bit i: PD i holds it */
};

struct spill {		/* a HOLD edge kept for a PD named by command */
	s64 pid;
	u32 exited;
	u64 seq, pages;
};

struct metrics {
	struct sel pd[2];
	bool defer;	/* a PD is named by command: spill */
	FILE *spill;
	struct held *h;
	size_t nh, caph;
	struct hmap hmap;	/* object seq -> index in h */
	struct edgeset es;
	u64 nobjs;
	const struct consumer *c;
};

static void mark(struct metrics *m, u64 seq, u64 pages, unsigned bit)
{
	bool isnew;
	u32 *v = hmap_put(&m->hmap, seq, 0, &isnew);

	if (isnew) {
		GROW(m->h, m->caph, m->nh + 1);
		*v = (u32)m->nh;
		m->h[m->nh++] = (struct held){ pages, 0 };
	}
	m->h[*v].in |= bit;
}

/* Is the PD (pid, exited) the one p names (resolved PDs only)? */
static bool is_pd(const struct sel *p, s64 pid, u32 exited)
{
	return p->kind != SEL_KERNEL && p->pid == pid && p->exited == exited;
}

/* The PD (pid, exited) HOLDs object seq (resolved PDs only). */
static void apply(struct metrics *m, s64 pid, u32 exited, u64 seq, u64 pages)
{
	for (int i = 0; i < 2; i++)
		if (is_pd(&m->pd[i], pid, exited))
			mark(m, seq, pages, 1u << i);
}

static void hold(struct metrics *m, s64 pid, u32 exited, u64 seq, u64 pages)
{
	for (int i = 0; i < 2; i++)
		if (m->pd[i].kind == SEL_PID && is_pd(&m->pd[i], pid, exited))
			m->pd[i].seen = true;
	if (m->defer) {
		struct spill r = { pid, exited, seq, pages };

		spill_put(m->spill, &r, sizeof(r));
		return;
	}
	apply(m, pid, exited, seq, pages);
}

static u64 edge_pages(const struct edge *e)
{
	struct kobj o = { .va = e->va, .size = e->size };

	return obj_pages(&o);
}

static void flush_edges(struct metrics *m)
{
	for (size_t i = 0; i < m->es.n; i++) {
		struct edge *e = &m->es.e[i];

		if (edge_is_allocators(e))
			continue;	/* the allocator's HOLD, counted at end() */
		hold(m, e->pid, e->exited, e->seq, edge_pages(e));
	}
	edges_reset(&m->es);
}

static void mt_obj(void *ctx, struct kobj *o)
{
	(void)ctx;
	(void)o;
}

static void mt_acc(void *ctx, struct kobj *o, const struct kacc *a)
{
	struct metrics *m = ctx;

	edges_add(&m->es, o, 0, a);
}

static void mt_end(void *ctx, struct kobj *o)
{
	struct metrics *m = ctx;

	m->nobjs++;
	if (obj_has_owner(o)) {
		for (int i = 0; i < 2; i++) {
			struct sel *p = &m->pd[i];
			bool isnew;

			if (p->kind == SEL_COMM && o->comm == p->comm)
				(*hmap_put(&p->allocs, (u64)o->pid, 0, &isnew))++;
		}
		hold(m, o->pid, 0, o->seq, obj_pages(o));
	}
	if (m->c->grouped)
		flush_edges(m);
}

/* A command's PD: the pid that allocated most under it (then the lowest). */
static void resolve(struct sel *p)
{
	u32 it = 0, n, best = 0;
	u64 pid, unused;

	while (hmap_next(&p->allocs, &it, &pid, &unused, &n)) {
		if (n > best || (n == best && (s64)pid < p->pid)) {
			best = n;
			p->pid = (s64)pid;
		}
	}
	p->seen = best > 0;
}

static void replay(struct metrics *m)
{
	struct spill r;

	spill_rewind(m->spill);
	while (spill_get(m->spill, &r, sizeof(r))) {
		for (int i = 0; i < 2; i++)
			if (m->pd[i].kind == SEL_COMM &&
			    is_pd(&m->pd[i], r.pid, r.exited))
				m->pd[i].seen = true;
		apply(m, r.pid, r.exited, r.seq, r.pages);
	}
}

/* x as Python's repr() prints a float: the shortest that reads back. */
static void py_float(char *buf, size_t n, double x)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	if (!strpbrk(buf, ".en"))
		strncat(buf, ".0", n - strlen(buf) - 1);
}

/*
 * FR as metrics.py computes it, on the PD graph of the model: nodes are
 * the two PDs and the kernel; a pid that holds anything has one REQUEST
 * edge, DATA MO, to PD_KERNEL; types are MO only (bit 0), and every space
 * maps MO.  Returns the depth, or -1 for infinity.
 */
#define FR_NODES 3

static int fr(const struct sel pd[2], const bool holds[2])
{
	int node[2], nn = 1, best = -1;
	int req[FR_NODES] = { -1 };	/* REQUEST target of a node, or -1 */
	unsigned start[FR_NODES] = { 1 };	/* node 0, the kernel, HOLDs spaces */
	int acc[2][FR_NODES];

	for (int i = 0; i < 2; i++) {
		if (pd[i].kind == SEL_KERNEL) {
			node[i] = 0;
		} else if (i == 1 && is_pd(&pd[0], pd[1].pid, pd[1].exited)) {
			node[1] = node[0];
		} else {
			node[i] = nn;
			start[nn] = holds[i];	/* it HOLDs MO resources */
			req[nn] = holds[i] ? 0 : -1;	/* and REQUESTs MO of the kernel */
			nn++;
		}
	}
	for (int r = 0; r < 2; r++) {
		int q[FR_NODES], depth[FR_NODES];
		unsigned types[FR_NODES];
		int head = 0, tail = 0;

		for (int j = 0; j < nn; j++)
			acc[r][j] = -1;
		q[tail] = node[r];
		depth[tail] = 0;
		types[tail++] = start[node[r]];
		while (head < tail) {
			int v = q[head], d = depth[head];
			unsigned t = types[head++];

			if (acc[r][v] < 0)
				acc[r][v] = d;
			/* REQUEST edges are acyclic here: a pid to the kernel */
			if (req[v] >= 0 && (t & 1) && tail < FR_NODES) {
				q[tail] = req[v];
				depth[tail] = d + 1;
				types[tail++] = t | 1;	/* the space maps MO */
			}
		}
	}
	for (int j = 0; j < nn; j++) {
		int d;

		if (acc[0][j] < 0 || acc[1][j] < 0)
			continue;
		d = acc[0][j] < acc[1][j] ? acc[0][j] : acc[1][j];
		if (best < 0 || d < best)
			best = d;
	}
	return best;
}

static void mt_finish(void *ctx)
{
	struct metrics *m = ctx;
	u64 pu = 0, pi = 0;
	bool holds[2] = { false, false };
	char buf[64];
	int f;

	flush_edges(m);
	for (int i = 0; i < 2; i++) {
		if (m->pd[i].kind == SEL_COMM)
			resolve(&m->pd[i]);
		if (m->pd[i].kind == SEL_KERNEL)
			m->pd[i].seen = m->nobjs > 0;
	}
	if (m->defer)
		replay(m);
	for (int i = 0; i < 2; i++)
		if (!m->pd[i].seen)
			die("metrics: no PD '%s' in the model: nothing was allocated "
			    "or accessed by it", m->pd[i].text);
	for (size_t i = 0; i < m->nh; i++) {
		pu += m->h[i].pages;
		if (m->h[i].in == 3)
			pi += m->h[i].pages;
		for (int k = 0; k < 2; k++)
			holds[k] |= (m->h[i].in >> k) & 1;
	}
	for (size_t t = 0; t < sizeof(rsi_types) / sizeof(rsi_types[0]); t++) {
		if (strcmp(rsi_types[t], "MO") || !pu) {
			/* metrics.py: 0 (an int) for an empty union */
			printf("RSI %s: 0\n", rsi_types[t]);
			continue;
		}
		py_float(buf, sizeof(buf), (double)pi / (double)pu);
		printf("RSI %s: %s\n", rsi_types[t], buf);
	}
	f = fr(m->pd, holds);
	if (f < 0)
		printf("FR: inf\n");
	else
		printf("FR: %d\n", f);
}

static void parse_sel(struct sel *p, const char *arg)
{
	s64 v;

	p->text = arg;
	hmap_init(&p->allocs, 16);
	if (!strncmp(arg, "PD_exited:", 10))
		arg += 3;
	if (!strcmp(arg, "PD_KERNEL")) {
		p->kind = SEL_KERNEL;
	} else if (!strncmp(arg, "exited:", 7)) {
		p->kind = SEL_PID;
		p->pid = PID_EXITED;
		p->exited = str_intern(arg + 7, strlen(arg + 7)) + 1;
	} else if ((!strncmp(arg, "PD_", 3) && parse_sdec(arg + 3, strlen(arg + 3), &v)) ||
		   parse_sdec(arg, strlen(arg), &v)) {
		p->kind = SEL_PID;
		p->pid = v;
	} else if (*arg) {
		p->kind = SEL_COMM;
		p->comm = str_intern(arg, strlen(arg));
	} else {
		die_usage("metrics: a PD is a NODE_ID, a pid or a command, got ''");
	}
}

int cmd_metrics(int argc, char **argv)
{
	static const struct option lo[] = {
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct common co = { 0 };
	struct metrics m = { 0 };
	struct consumer c = {
		.obj = mt_obj, .acc = mt_acc, .end = mt_end, .finish = mt_finish,
		.ctx = &m,
	};
	int opt;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, lo, NULL)) != -1)
		common_opt(&co, opt, optarg, "metrics", usage_text);
	if (argc - optind < 2)
		die_usage("metrics: two PDs are required\n"
			  "Try '" KT_NAME " metrics --help'.");
	common_setup(&co);
	parse_sel(&m.pd[0], argv[optind]);
	parse_sel(&m.pd[1], argv[optind + 1]);
	m.defer = m.pd[0].kind == SEL_COMM || m.pd[1].kind == SEL_COMM;
	if (m.defer)
		m.spill = spill_open("metrics");
	m.c = &c;
	hmap_init(&m.hmap, 1024);
	edges_init(&m.es);
	read_inputs(argv + optind + 2, argc - optind - 2, &co.ro, &c);
	if (m.spill)
		fclose(m.spill);
	xfclose_out(stdout, "-");
	free(m.h);
	hmap_free(&m.hmap);
	hmap_free(&m.pd[0].allocs);
	hmap_free(&m.pd[1].allocs);
	edges_free(&m.es);
	return 0;
}
