// SPDX-License-Identifier: GPL-2.0
/*
 * modelstate: the kmap as a model-state graph (PD and RESOURCE nodes, HOLD
 * and ACCESS edges), both as the one-file model-state CSV the OSmosis
 * scripts read and as neo4j-admin import node/relationship files.
 *
 * Objects and edges are written as they stream past; only the PDs (pids)
 * are held, and written last.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kmaptool.h"

static const char usage_text[] =
	"Usage: " KT_NAME " modelstate [OPTIONS] [FILE...]\n"
	"Writes the model state of the kmap:\n"
	"  PREFIX.csv                NODE_TYPE,NODE_ID,DATA,EXTRA,EDGE_TYPE,EDGE_FROM,EDGE_TO\n"
	"  PREFIX_nodes.csv          ID:ID,:LABEL,DATA,EXTRA:long\n"
	"  PREFIX_relationships.csv  :START_ID,:END_ID,:TYPE,READS:long,WRITES:long\n"
	"Nodes: PD_<pid> (label PD; DATA the pid's commands joined by '|', EXTRA\n"
	"the pid) and RES_<obj_va_ptr>_<alloc_index> (label RESOURCE; DATA the\n"
	"alloc_type, or the slab cache with --by cache; EXTRA the size).  Edges:\n"
	"HOLD from the allocating PD; ACCESS from each accessing PD, with its\n"
	"read and write counts in DATA and EXTRA (READS and WRITES for neo4j).\n"
	"Import: neo4j-admin database import full --nodes=PREFIX_nodes.csv\n"
	"        --relationships=PREFIX_relationships.csv\n"
	"\n"
	"  -o, --output PREFIX   output file prefix (default 'modelstate')\n"
	"  -b, --by type|cache   RESOURCE DATA: alloc_type (default) or slab cache\n"
	"                        (objects outside any cache keep their alloc_type)\n"
	COMMON_USAGE;

struct ms {
	FILE *ms, *nodes, *rels;
	enum by_kind by;
	struct edgeset es;
	const struct consumer *c;
};

static void res_id(FILE *f, u64 va, u64 idx)
{
	fprintf(f, "RES_%llx_%llu", (unsigned long long)va, (unsigned long long)idx);
}

static void m_obj(void *ctx, struct kobj *o)
{
	struct ms *m = ctx;
	u32 data = obj_group(o, m->by);

	fputs("RESOURCE,", m->ms);
	res_id(m->ms, o->va, o->alloc_index);
	fputc(',', m->ms);
	csv_str(m->ms, data);
	fprintf(m->ms, ",%llu,,,\n", (unsigned long long)o->size);

	res_id(m->nodes, o->va, o->alloc_index);
	fputs(",RESOURCE,", m->nodes);
	csv_str(m->nodes, data);
	fprintf(m->nodes, ",%llu\n", (unsigned long long)o->size);

	if (o->stub)	/* who allocated it is unknown */
		return;
	pids_note(o->pid, o->comm);
	fprintf(m->ms, ",,,,HOLD,PD_%lld,", (long long)o->pid);
	res_id(m->ms, o->va, o->alloc_index);
	fputc('\n', m->ms);
	fprintf(m->rels, "PD_%lld,", (long long)o->pid);
	res_id(m->rels, o->va, o->alloc_index);
	fputs(",HOLD,,\n", m->rels);
}

static void m_acc(void *ctx, struct kobj *o, const struct kacc *a)
{
	struct ms *m = ctx;

	edges_add(&m->es, o, 0, a);
}

static void flush_edges(struct ms *m)
{
	for (size_t i = 0; i < m->es.n; i++) {
		struct edge *e = &m->es.e[i];

		pids_note(e->pid, 0);
		fprintf(m->ms, ",,%llu,%llu,ACCESS,PD_%lld,",
			(unsigned long long)e->reads,
			(unsigned long long)e->writes, (long long)e->pid);
		res_id(m->ms, e->va, e->alloc_index);
		fputc('\n', m->ms);
		fprintf(m->rels, "PD_%lld,", (long long)e->pid);
		res_id(m->rels, e->va, e->alloc_index);
		fprintf(m->rels, ",ACCESS,%llu,%llu\n",
			(unsigned long long)e->reads,
			(unsigned long long)e->writes);
	}
	edges_reset(&m->es);
}

static void m_end(void *ctx, struct kobj *o)
{
	struct ms *m = ctx;

	(void)o;
	if (m->c->grouped)
		flush_edges(m);
}

static void m_finish(void *ctx)
{
	struct ms *m = ctx;
	struct pidinfo **p;
	size_t n;

	flush_edges(m);
	p = pids_sorted(&n);
	for (size_t i = 0; i < n; i++) {
		char *comms = pid_comms_joined(p[i]);

		fprintf(m->ms, "PD,PD_%lld,", (long long)p[i]->pid);
		csv_field(m->ms, comms, strlen(comms));
		fprintf(m->ms, ",%lld,,,\n", (long long)p[i]->pid);
		fprintf(m->nodes, "PD_%lld,PD,", (long long)p[i]->pid);
		csv_field(m->nodes, comms, strlen(comms));
		fprintf(m->nodes, ",%lld\n", (long long)p[i]->pid);
		free(comms);
	}
	free(p);
}

int cmd_modelstate(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", 1, NULL, 'o' },
		{ "by", 1, NULL, 'b' },
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct common co = { 0 };
	struct ms m = { 0 };
	struct consumer c = {
		.obj = m_obj, .acc = m_acc, .end = m_end, .finish = m_finish,
		.ctx = &m,
	};
	const char *prefix = "modelstate";
	char *mspath, *npath, *rpath;
	int opt;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS "o:b:", lo, NULL)) != -1) {
		if (common_opt(&co, opt, optarg, "modelstate", usage_text))
			continue;
		switch (opt) {
		case 'o':
			prefix = optarg;
			break;
		case 'b':
			m.by = parse_by(optarg);
			break;
		}
	}
	common_setup(&co);
	m.c = &c;
	edges_init(&m.es);
	mspath = str_join(prefix, ".csv");
	npath = str_join(prefix, "_nodes.csv");
	rpath = str_join(prefix, "_relationships.csv");
	m.ms = xfopen_out(mspath);
	m.nodes = xfopen_out(npath);
	m.rels = xfopen_out(rpath);
	fputs("NODE_TYPE,NODE_ID,DATA,EXTRA,EDGE_TYPE,EDGE_FROM,EDGE_TO\n", m.ms);
	fputs("ID:ID,:LABEL,DATA,EXTRA:long\n", m.nodes);
	fputs(":START_ID,:END_ID,:TYPE,READS:long,WRITES:long\n", m.rels);
	read_inputs(argv + optind, argc - optind, &co.ro, &c);
	xfclose_out(m.ms, mspath);
	xfclose_out(m.nodes, npath);
	xfclose_out(m.rels, rpath);
	return 0;
}
