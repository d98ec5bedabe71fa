// SPDX-License-Identifier: GPL-2.0
/*
 * share: the resource-sharing index of two PDs, |R1 & R2| / |R1 | R2| per
 * resource type, where Ri is the set of objects PD i allocated or accessed.
 *
 * Only objects in R1 or R2 are held.  A PD named by command is the set of
 * pids that allocated under that command, which is only known at the end of
 * a kmap; until then accesses are spilled to an unlinked temporary file and
 * replayed once the pids are known, so memory stays bounded.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kmaptool.h"

static const char usage_text[] =
	"Usage: " KT_NAME " share --pd1 PD --pd2 PD [OPTIONS] [FILE...]\n"
	"Resource-sharing index between two PDs, per resource type:\n"
	"  RSI = |R1 & R2| / |R1 | R2|\n"
	"where Ri is the set of objects PD i allocated or accessed (objects are\n"
	"told apart by obj_va_ptr and alloc_index).  PD is pid:N (that pid),\n"
	"exited:NAME (access_pid -2: the exited tasks of command NAME) or\n"
	"comm:NAME (every pid that allocated under command NAME, objects allocated\n"
	"under NAME, and exited:NAME).  Output, types in byte order, then the total:\n"
	"  RSI <type>: <rsi> (<shared>/<union>)\n"
	"  RSI total: <rsi> (<shared>/<union>)\n"
	"with <rsi> printed with 6 decimals (0.000000 when the union is empty).\n"
	"With --list, then one line per shared object, by type, alloc_index:\n"
	"  shared <type> <obj_va_ptr> <alloc_index> <size> <alloc_site>\n"
	"\n"
	"      --pd1 PD          first PD: pid:N, exited:NAME or comm:NAME\n"
	"      --pd2 PD          second PD\n"
	"  -b, --by type|cache   resource type: alloc_type (default) or slab cache\n"
	"                        (objects outside any cache keep their alloc_type)\n"
	"  -B, --bytes           weight objects by size: counts become bytes\n"
	"  -l, --list            list the shared objects\n"
	COMMON_USAGE;

enum { OPT_PD1 = 0x200, OPT_PD2 };

enum sel_kind { SEL_PID, SEL_EXITED, SEL_COMM };

struct sel {
	const char *text;
	enum sel_kind kind;
	s64 pid;	/* SEL_PID */
	u32 comm;	/* SEL_EXITED, SEL_COMM */
};

struct sobj {
	u64 va, alloc_index, size, alloc_ip;
	u32 group;
	unsigned in;	/* bit 0: in R1, bit 1: in R2 */
};

/* A deferred (access PD, object) pair. */
struct spill {
	s64 pid;
	u64 va, alloc_index, size, alloc_ip;
	u32 group;
	u32 exited;
};

struct share {
	struct sel pd[2];
	enum by_kind by;
	bool bytes, list;
	struct sobj *o;
	size_t n, cap;
	struct hmap map;
	struct edgeset es;
	FILE *spill;
	const struct consumer *c;
};

static void add(struct share *s, u64 va, u64 idx, u64 size, u64 alloc_ip,
		u32 group, unsigned bit)
{
	bool isnew;
	u32 *v = hmap_put(&s->map, va, idx, &isnew);

	if (isnew) {
		GROW(s->o, s->cap, s->n + 1);
		*v = (u32)s->n;
		s->o[s->n] = (struct sobj){ va, idx, size, alloc_ip, group, 0 };
		s->n++;
	}
	s->o[*v].in |= bit;
}

static void sh_obj(void *ctx, struct kobj *o)
{
	struct share *s = ctx;

	if (o->stub)
		return;
	pids_note(o->pid, 0, o->comm);
	for (int i = 0; i < 2; i++) {
		struct sel *p = &s->pd[i];

		/* an exited PD allocates nothing: its lines are accesses */
		if (p->kind == SEL_COMM ? o->comm == p->comm :
		    p->kind == SEL_PID && o->pid == p->pid)
			add(s, o->va, o->alloc_index, o->size, o->alloc_ip,
			    obj_group(o, s->by), 1u << i);
	}
}

static void sh_acc(void *ctx, struct kobj *o, const struct kacc *a)
{
	struct share *s = ctx;

	edges_add(&s->es, o, obj_group(o, s->by), a);
}

/*
 * Does the accessing PD (pid, exited) belong to PD i?  Needs the final pid
 * table for comm.
 */
static inline bool pid_in(struct share *s, int i, s64 pid, u32 exited)
{
	struct sel *p = &s->pd[i];
	struct pidinfo *pi;

	if (p->kind == SEL_PID)
		return !exited && pid == p->pid;
	if (exited || p->kind == SEL_EXITED)
		return exited == p->comm + 1;
	pi = pids_find(pid, 0);
	return pi && pid_has_comm(pi, p->comm);
}

static void flush_edges(struct share *s, bool final)
{
	bool defer = !final &&
		(s->pd[0].kind == SEL_COMM || s->pd[1].kind == SEL_COMM);

	for (size_t k = 0; k < s->es.n; k++) {
		struct edge *e = &s->es.e[k];

		if (defer) {
			struct spill r = {
				e->pid, e->va, e->alloc_index, e->size,
				e->alloc_ip, e->group, e->exited,
			};

			spill_put(s->spill, &r, sizeof(r));
			continue;
		}
		for (int i = 0; i < 2; i++)
			if (pid_in(s, i, e->pid, e->exited))
				add(s, e->va, e->alloc_index, e->size, e->alloc_ip,
				    e->group, 1u << i);
	}
	edges_reset(&s->es);
}

static void sh_end(void *ctx, struct kobj *o)
{
	struct share *s = ctx;

	(void)o;
	if (s->c->grouped)
		flush_edges(s, false);
}

static void replay_spill(struct share *s)
{
	struct spill r;

	spill_rewind(s->spill);
	while (spill_get(s->spill, &r, sizeof(r)))
		for (int i = 0; i < 2; i++)
			if (pid_in(s, i, r.pid, r.exited))
				add(s, r.va, r.alloc_index, r.size, r.alloc_ip,
				    r.group, 1u << i);
}

/* ---- report ------------------------------------------------------------ */

struct tally {
	u32 group;
	u64 shared, all;
};

static int cmp_tally(const void *a, const void *b)
{
	return strcmp(str_show(((const struct tally *)a)->group),
		      str_show(((const struct tally *)b)->group));
}

static int cmp_sobj(const void *a, const void *b)
{
	const struct sobj *x = a, *y = b;
	int c = strcmp(str_show(x->group), str_show(y->group));

	if (c)
		return c;
	if (x->alloc_index != y->alloc_index)
		return x->alloc_index < y->alloc_index ? -1 : 1;
	return (x->va > y->va) - (x->va < y->va);
}

static void print_rsi(const char *name, u64 shared, u64 all)
{
	printf("RSI %s: %.6f (%llu/%llu)\n", name,
	       all ? (double)shared / (double)all : 0.0,
	       (unsigned long long)shared, (unsigned long long)all);
}

static void sh_finish(void *ctx)
{
	struct share *s = ctx;
	struct tally *t = NULL, tot = { 0, 0, 0 };
	size_t nt = 0, capt = 0;
	struct hmap gm;

	flush_edges(s, true);
	replay_spill(s);
	hmap_init(&gm, 64);
	for (size_t i = 0; i < s->n; i++) {
		struct sobj *o = &s->o[i];
		u64 w = s->bytes ? o->size : 1;
		bool isnew;
		u32 *v = hmap_put(&gm, o->group, 0, &isnew);

		if (isnew) {
			GROW(t, capt, nt + 1);
			*v = (u32)nt;
			t[nt++] = (struct tally){ o->group, 0, 0 };
		}
		t[*v].all += w;
		tot.all += w;
		if (o->in == 3) {
			t[*v].shared += w;
			tot.shared += w;
		}
	}
	sort_n(t, nt, sizeof(*t), cmp_tally);
	for (size_t i = 0; i < nt; i++)
		print_rsi(str_show(t[i].group), t[i].shared, t[i].all);
	print_rsi("total", tot.shared, tot.all);
	if (s->list) {
		char site[SYMBUF];

		sort_n(s->o, s->n, sizeof(*s->o), cmp_sobj);
		for (size_t i = 0; i < s->n; i++) {
			struct sobj *o = &s->o[i];

			if (o->in != 3)
				continue;
			sym_format(o->alloc_ip, site, sizeof(site));
			printf("shared %s %llx %llu %llu %s\n", str_show(o->group),
			       (unsigned long long)o->va,
			       (unsigned long long)o->alloc_index,
			       (unsigned long long)o->size, site);
		}
	}
	free(t);
	hmap_free(&gm);
}

static void parse_sel(struct sel *p, const char *opt, const char *arg)
{
	p->text = arg;
	if (!strncmp(arg, "pid:", 4)) {
		p->kind = SEL_PID;
		p->pid = opt_s64(opt, arg + 4);
	} else if (!strncmp(arg, "exited:", 7)) {
		p->kind = SEL_EXITED;	/* a blank command too: "exited:" */
		p->comm = str_intern(arg + 7, strlen(arg + 7));
	} else if (!strncmp(arg, "comm:", 5) && arg[5]) {
		p->kind = SEL_COMM;
		p->comm = str_intern(arg + 5, strlen(arg + 5));
	} else {
		die_usage("%s: expected pid:N, exited:NAME or comm:NAME, got '%s'",
			  opt, arg);
	}
}

int cmd_share(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pd1", 1, NULL, OPT_PD1 },
		{ "pd2", 1, NULL, OPT_PD2 },
		{ "by", 1, NULL, 'b' },
		{ "bytes", 0, NULL, 'B' },
		{ "list", 0, NULL, 'l' },
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct common co = { 0 };
	struct share s = { 0 };
	struct consumer c = {
		.obj = sh_obj, .acc = sh_acc, .end = sh_end, .finish = sh_finish,
		.ctx = &s,
	};
	bool have[2] = { false, false };
	int opt;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS "b:Bl", lo, NULL)) != -1) {
		if (common_opt(&co, opt, optarg, "share", usage_text))
			continue;
		switch (opt) {
		case OPT_PD1:
		case OPT_PD2:
			have[opt - OPT_PD1] = true;
			parse_sel(&s.pd[opt - OPT_PD1],
				  opt == OPT_PD1 ? "--pd1" : "--pd2", optarg);
			break;
		case 'b':
			s.by = parse_by(optarg);
			break;
		case 'B':
			s.bytes = true;
			break;
		case 'l':
			s.list = true;
			break;
		}
	}
	if (!have[0] || !have[1])
		die_usage("share: --pd1 and --pd2 are both required\n"
			  "Try '" KT_NAME " share --help'.");
	common_setup(&co);
	s.c = &c;
	hmap_init(&s.map, 1024);
	edges_init(&s.es);
	s.spill = spill_open("share");
	read_inputs(argv + optind, argc - optind, &co.ro, &c);
	fclose(s.spill);
	xfclose_out(stdout, "-");
	free(s.o);
	hmap_free(&s.map);
	edges_free(&s.es);
	return 0;
}
