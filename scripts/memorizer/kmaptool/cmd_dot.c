// SPDX-License-Identifier: GPL-2.0
/*
 * dot: PDs and the object types (or caches) they touch, as a Graphviz
 * digraph.  Objects themselves would make graphs nobody can read, so edges
 * aggregate everything a pid did to one type.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kmaptool.h"

static const char usage_text[] =
	"Usage: " KT_NAME " dot [OPTIONS] [FILE...]\n"
	"Writes a Graphviz digraph (render with 'dot -Tsvg'): a box per PD (pid,\n"
	"labelled with its commands; or exited:COMMAND, the exited tasks of that\n"
	"command: access_pid -2), an ellipse per alloc_type (or slab cache),\n"
	"and an edge from a PD to each type it allocated or accessed, labelled\n"
	"'r=READS w=WRITES a=ALLOCS', drawn wider the more accesses it carries\n"
	"(penwidth 1 to 5 on a log scale) and dashed when it has none.\n"
	"\n"
	"  -b, --by type|cache   nodes are alloc_types (default) or slab caches\n"
	"                        (objects outside any cache keep their alloc_type)\n"
	"  -m, --min N           drop edges with fewer than N accesses\n"
	"  -o, --output FILE     write to FILE instead of standard output\n"
	COMMON_USAGE;

struct dedge {
	s64 pid;
	u32 exited;	/* with pid, the PD */
	u32 group;
	u64 allocs, reads, writes;
};

struct dot {
	enum by_kind by;
	u64 min;
	struct dedge *e;
	size_t n, cap;
	struct hmap map;
};

/* An exited PD's key: (exited, group with bit 32), which no pid's has. */
static inline struct dedge *edge_of(struct dot *d, s64 pid, u32 exited,
				    u32 group)
{
	bool isnew;
	u32 *v = hmap_put(&d->map, exited ? exited : (u64)pid,
			  group | (exited ? 1ull << 32 : 0), &isnew);

	if (isnew) {
		GROW(d->e, d->cap, d->n + 1);
		*v = (u32)d->n;
		d->e[d->n++] = (struct dedge){ pid, exited, group, 0, 0, 0 };
	}
	return &d->e[*v];
}

static void d_obj(void *ctx, struct kobj *o)
{
	struct dot *d = ctx;

	if (o->stub)
		return;
	pids_note(o->pid, 0, o->comm);
	edge_of(d, o->pid, 0, obj_group(o, d->by))->allocs++;
}

/* An access_pid -2 line: its command's exited PD (as d_acc()). */
static __attribute__((noinline)) void exited_acc(struct dot *d, struct kobj *o,
						 const struct kacc *a)
{
	u32 exited = acc_exited(a);
	struct dedge *e;

	pids_note(a->pid, exited, 0);
	e = edge_of(d, a->pid, exited, obj_group(o, d->by));
	e->reads += a->reads;
	e->writes += a->writes;
}

static void d_acc(void *ctx, struct kobj *o, const struct kacc *a)
{
	struct dot *d = ctx;
	struct dedge *e;

	if (__builtin_expect(a->pid == PID_EXITED, 0)) {
		exited_acc(d, o, a);
		return;
	}
	pids_note(a->pid, 0, 0);
	e = edge_of(d, a->pid, 0, obj_group(o, d->by));
	e->reads += a->reads;
	e->writes += a->writes;
}

static void d_end(void *ctx, struct kobj *o)
{
	(void)ctx;
	(void)o;
}

/* A DOT double-quoted string body. */
static void dot_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* A PD's node: "\tPD_<pid>" or "\tPD_exited:<command>", quoted. */
static void put_pd(FILE *f, s64 pid, u32 exited)
{
	char *name;

	if (!exited) {
		fprintf(f, "\t\"PD_%lld\"", (long long)pid);
		return;
	}
	name = pd_exited_name(exited);
	fputs("\t\"PD_", f);
	dot_str(f, name);
	fputc('"', f);
	free(name);
}

static int bits(u64 x)
{
	int n = 0;

	while (x) {
		n++;
		x >>= 1;
	}
	return n;
}

static int cmp_dedge(const void *a, const void *b)
{
	const struct dedge *x = a, *y = b;
	int c = pd_cmp(x->pid, x->exited, y->pid, y->exited);

	if (c)
		return c;
	return strcmp(str_show(x->group), str_show(y->group));
}

static int cmp_group(const void *a, const void *b)
{
	return strcmp(str_show(*(const u32 *)a), str_show(*(const u32 *)b));
}

static void write_dot(struct dot *d, FILE *f)
{
	struct pidinfo **pids;
	size_t npids, ng = 0, o = 0;
	bool *pid_used;
	u32 *groups;
	u64 max = 0;
	struct hmap seen;

	/* Keep the edges that pass --min; only their ends become nodes. */
	for (size_t i = 0; i < d->n; i++) {
		u64 acc = d->e[i].reads + d->e[i].writes;

		if (acc >= d->min && (acc || d->e[i].allocs))
			d->e[o++] = d->e[i];
	}
	d->n = o;
	sort_n(d->e, d->n, sizeof(*d->e), cmp_dedge);
	pids = pids_sorted(&npids);
	pid_used = xcalloc(npids + 1, sizeof(*pid_used));
	groups = xmalloc((d->n + 1) * sizeof(*groups));
	hmap_init(&seen, 64);
	for (size_t i = 0; i < d->n; i++) {
		bool isnew;

		pid_used[pids_find(d->e[i].pid, d->e[i].exited)->idx] = true;
		hmap_put(&seen, d->e[i].group, 0, &isnew);
		if (isnew)
			groups[ng++] = d->e[i].group;
		if (d->e[i].reads + d->e[i].writes > max)
			max = d->e[i].reads + d->e[i].writes;
	}
	sort_n(groups, ng, sizeof(*groups), cmp_group);

	fputs("digraph kmap {\n\trankdir=LR;\n"
	      "\tnode [fontname=\"Helvetica\"];\n"
	      "\tedge [fontname=\"Helvetica\",fontsize=10];\n", f);
	for (size_t i = 0; i < npids; i++) {
		char *comms;

		if (!pid_used[i])
			continue;
		if (pids[i]->exited) {
			put_pd(f, pids[i]->pid, pids[i]->exited);
			fputs(" [shape=box,label=\"", f);
			comms = pd_exited_name(pids[i]->exited);
			dot_str(f, comms);
			fputs("\"];\n", f);
			free(comms);
			continue;
		}
		comms = pid_comms_joined(pids[i]);
		fprintf(f, "\t\"PD_%lld\" [shape=box,label=\"%lld", (long long)pids[i]->pid,
			(long long)pids[i]->pid);
		if (*comms) {
			fputs("\\n", f);
			dot_str(f, comms);
		}
		fputs("\"];\n", f);
		free(comms);
	}
	for (size_t i = 0; i < ng; i++) {
		fputs("\t\"T_", f);
		dot_str(f, str_show(groups[i]));
		fputs("\" [shape=ellipse,label=\"", f);
		dot_str(f, str_show(groups[i]));
		fputs("\"];\n", f);
	}
	for (size_t i = 0; i < d->n; i++) {
		struct dedge *e = &d->e[i];
		u64 acc = e->reads + e->writes;
		/* 1..5 by bit length: a log scale without libm. */
		int pw100 = 100 + (max ? 400 * bits(acc) / bits(max) : 0);

		put_pd(f, e->pid, e->exited);
		fputs(" -> \"T_", f);
		dot_str(f, str_show(e->group));
		fprintf(f, "\" [label=\"r=%llu w=%llu a=%llu\",weight=%d,"
			"penwidth=%d.%02d%s];\n", (unsigned long long)e->reads,
			(unsigned long long)e->writes, (unsigned long long)e->allocs,
			1 + bits(acc), pw100 / 100, pw100 % 100,
			acc ? "" : ",style=dashed");
	}
	fputs("}\n", f);
	free(pids);
	free(pid_used);
	free(groups);
	hmap_free(&seen);
}

int cmd_dot(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "by", 1, NULL, 'b' },
		{ "min", 1, NULL, 'm' },
		{ "output", 1, NULL, 'o' },
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct common co = { 0 };
	struct dot d = { 0 };
	struct consumer c = {
		.obj = d_obj, .acc = d_acc, .end = d_end, .ctx = &d,
	};
	const char *out = "-";
	FILE *f;
	int opt;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS "b:m:o:", lo, NULL)) != -1) {
		if (common_opt(&co, opt, optarg, "dot", usage_text))
			continue;
		switch (opt) {
		case 'b':
			d.by = parse_by(optarg);
			break;
		case 'm':
			d.min = opt_u64("--min", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		}
	}
	common_setup(&co);
	hmap_init(&d.map, 256);
	read_inputs(argv + optind, argc - optind, &co.ro, &c);
	f = xfopen_out(out);
	write_dot(&d, f);
	xfclose_out(f, out);
	free(d.e);
	hmap_free(&d.map);
	return 0;
}
