// SPDX-License-Identifier: GPL-2.0
/*
 * modelstate: the kmap as an OSmosis model state (model.c gives the
 * mapping), both as the one-file CSV that OSmosis's scripts read and as
 * neo4j-admin import files.
 *
 * Objects and their edges are written as they stream past; only the PDs
 * (pids) and the resource spaces are held, and written last.  Output goes
 * through a buffer filled without stdio: at a few hundred bytes per object
 * the formatting is most of the work.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kmaptool.h"

static const char usage_text[] =
	"Usage: " KT_NAME " modelstate [OPTIONS] [FILE...]\n"
	"Writes the kmap as an OSmosis model state:\n"
	"  PREFIX.csv                NODE_TYPE,NODE_ID,DATA,EDGE_TYPE,EDGE_FROM,EDGE_TO,EXTRA\n"
	"  PREFIX_nodes.csv          ID:ID,:LABEL,DATA,EXTRA:long (PDs, resources)\n"
	"  PREFIX_spaces.csv         ID:ID,:LABEL,DATA,EXTRA (resource spaces)\n"
	"  PREFIX_relationships.csv  :START_ID,:END_ID,:TYPE,READS:long,WRITES:long\n"
	"Nodes: PD_KERNEL, PD_<pid> and PD_exited:<command> (PD: access_pid -2, a\n"
	"command's exited tasks), MO_<n> for the n-th object (RESOURCE, DATA MO),\n"
	"RS_... for the allocators (RESOURCE_SPACE, DATA MO).  Edges: object\n"
	"SUBSET its allocator's space; PD_KERNEL HOLD every space; a space MAP the\n"
	"space it draws from; a PD HOLD what it allocated or accessed; a PD\n"
	"REQUEST (DATA MO) the kernel.  EXTRA is JSON: an object's is\n"
	"{\"mo\":\"0xADDR_PAGES_12\",\"type\":...,\"cache\":...,\"size\":...,...}.\n"
	"Import: neo4j-admin database import full --nodes=PREFIX_nodes.csv\n"
	"        --nodes=PREFIX_spaces.csv --relationships=PREFIX_relationships.csv\n"
	"\n"
	"  -o, --output PREFIX   output file prefix (default 'modelstate')\n"
	COMMON_USAGE;

/*
 * An interned string, escaped once for the place it is written to.  Its
 * buffer has ESC_COPY bytes or more, so that put_esc() copies the short
 * ones (nearly all) with one fixed-size copy rather than a call.
 */
struct esc {
	char *s;
	size_t len;
};

#define ESC_COPY 32

struct ms {
	struct obuf ms, nodes, spaces, rels;
	struct edgeset es;
	struct spaces ss;
	struct esc *json;	/* by string id: a JSON string, in a quoted CSV field */
	size_t capjson;
	struct esc *xid;	/* by exited: "PD_exited:COMMAND" as a CSV field */
	size_t capxid;
	const struct consumer *c;
	u64 idseq;	/* the object whose NODE_ID id[] holds */
	char id[24];	/* "MO_<seq>", written once for all its rows */
	size_t idlen;
};

/* The JSON string of id, its quotes doubled for the quoted CSV field. */
static __attribute__((noinline)) const struct esc *json_new(struct ms *m, u32 id)
{
	struct esc *e;
	char *j;
	size_t n, o = 0;

	if (id >= m->capjson) {
		size_t old = m->capjson;

		GROW(m->json, m->capjson, (size_t)id + 1);
		memset(m->json + old, 0, (m->capjson - old) * sizeof(*m->json));
	}
	e = &m->json[id];
	if (e->s)
		return e;
	j = xmalloc(JSON_ESCAPED_MAX(str_len(id)));
	n = json_escape(j, str_get(id), str_len(id));
	e->s = xcalloc(2 * n + ESC_COPY, 1);
	for (size_t i = 0; i < n; i++) {
		if (j[i] == '"')
			e->s[o++] = '"';
		e->s[o++] = j[i];
	}
	e->len = o;
	free(j);
	return e;
}

/* The NODE_ID of the exited PD, as a CSV field (quoted when it has to be). */
static const struct esc *xid_of(struct ms *m, u32 exited)
{
	struct esc *e;
	char *name, *id;
	size_t n, o = 0;
	bool quote;

	if (exited >= m->capxid) {
		size_t old = m->capxid;

		GROW(m->xid, m->capxid, (size_t)exited + 1);
		memset(m->xid + old, 0, (m->capxid - old) * sizeof(*m->xid));
	}
	e = &m->xid[exited];
	if (e->s)
		return e;
	name = pd_exited_name(exited);
	id = str_join("PD_", name);
	n = strlen(id);
	quote = id[n - 1] == ' ';
	for (size_t i = 0; i < n && !quote; i++)
		quote = id[i] == ',' || id[i] == '"' || id[i] == '\n' || id[i] == '\r';
	e->s = xmalloc(2 * n + 2);
	if (quote)
		e->s[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (id[i] == '"')
			e->s[o++] = '"';
		e->s[o++] = id[i];
	}
	if (quote)
		e->s[o++] = '"';
	e->len = o;
	free(name);
	free(id);
	return e;
}

/* Four per object, nearly always escaped already: that case inline. */
static inline const struct esc *json_of(struct ms *m, u32 id)
{
	if (__builtin_expect(id < m->capjson && m->json[id].s, 1))
		return &m->json[id];
	return json_new(m, id);
}

/* s as a CSV field (quoted only when it has to be, as csv_field()). */
static void ob_csv(struct obuf *o, const char *s, size_t len)
{
	bool quote = len && (s[0] == ' ' || s[len - 1] == ' ');
	char *p;

	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (!quote) {
		ob_mem(o, s, len);
		return;
	}
	ob_mem(o, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		p = ob_room(o, 2);
		if (s[i] == '"')
			*p++ = '"';
		*p++ = s[i];
		ob_done(o, p);
	}
	ob_mem(o, "\"", 1);
}

/* The NODE_ID of object seq at p (24 bytes of room); several per object. */
static inline __attribute__((always_inline)) char *put_mo(struct ms *m, char *p, u64 seq)
{
	if (seq != m->idseq || !m->idlen) {
		memcpy(m->id, "MO_", 3);
		m->idlen = (size_t)(fmt_u64(m->id + 3, seq) - m->id);
		m->idseq = seq;
	}
	memcpy(p, m->id, sizeof(m->id));
	return p + m->idlen;
}

#define OB_LIT(o, lit) ob_mem((o), (lit), sizeof(lit) - 1)
#define PUT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

/* e at p: ESC_COPY bytes of room or more past its end. */
static inline char *put_esc(char *p, const struct esc *e)
{
	if (e->len <= ESC_COPY)
		memcpy(p, e->s, ESC_COPY);
	else
		memcpy(p, e->s, e->len);
	return p + e->len;
}

/* The object's node: its row in PREFIX.csv and PREFIX_nodes.csv. */
static void write_resource(struct ms *m, const struct kobj *o)
{
	/* copies: each json_of() may move the table, not the strings */
	const struct esc t = *json_of(m, o->type), s = *json_of(m, o->slab);
	const struct esc c = *json_of(m, o->comm), n = *json_of(m, o->new_type);
	const struct esc *type = &t, *slab = &s, *comm = &c, *nt = &n;
	char *p = ob_room(&m->ms, 400 + 4 * ESC_COPY + type->len + slab->len +
			  comm->len + nt->len);
	char *size = NULL, *q;
	size_t nsize = 0;

	p = PUT(p, "RESOURCE,");
	p = put_mo(m, p, o->seq);
	p = PUT(p, ",MO,,,,\"{\"\"mo\"\":\"\"0x");
	p = fmt_hex(p, o->va);
	*p++ = '_';
	p = fmt_u64(p, obj_pages(o));
	p = PUT(p, "_12\"\"");
	if (o->stub) {
		p = PUT(p, ",\"\"stub\"\":true,\"\"alloc_index\"\":");
		p = fmt_u64(p, o->alloc_index);
	} else {
		p = PUT(p, ",\"\"type\"\":");
		p = put_esc(p, type);
		p = PUT(p, ",\"\"cache\"\":");
		p = put_esc(p, slab);
		p = PUT(p, ",\"\"size\"\":");
		size = p;
		p = fmt_u64(p, o->size);
		nsize = (size_t)(p - size);
		p = PUT(p, ",\"\"comm\"\":");
		p = put_esc(p, comm);
		p = PUT(p, ",\"\"alloc_ip\"\":\"\"0x");
		p = fmt_hex(p, o->alloc_ip);
		p = PUT(p, "\"\",\"\"free_ip\"\":\"\"0x");
		p = fmt_hex(p, o->free_ip);
		p = PUT(p, "\"\",\"\"alloc_index\"\":");
		p = fmt_u64(p, o->alloc_index);
		p = PUT(p, ",\"\"free_index\"\":");
		p = fmt_u64(p, o->free_index);
		if (o->new_type) {
			p = PUT(p, ",\"\"new_type\"\":");
			p = put_esc(p, nt);
		}
	}
	p = PUT(p, ",\"\"reads\"\":");
	p = fmt_u64(p, o->reads);
	p = PUT(p, ",\"\"writes\"\":");
	p = fmt_u64(p, o->writes);
	p = PUT(p, "}\"\n");
	ob_done(&m->ms, p);

	/* the size again: copied from the row above when it is there */
	q = ob_room(&m->nodes, 64);
	q = put_mo(m, q, o->seq);
	q = PUT(q, ",RESOURCE,MO,");
	if (size) {
		memcpy(q, size, 24);
		q += nsize;
	} else {
		q = fmt_u64(q, o->size);
	}
	*q++ = '\n';
	ob_done(&m->nodes, q);
}

static void write_subset(struct ms *m, const struct kobj *o, const struct space *sp)
{
	char *p = ob_room(&m->ms, 64 + sp->idlen);

	p = PUT(p, ",,,SUBSET,");
	p = put_mo(m, p, o->seq);
	*p++ = ',';
	memcpy(p, sp->id, sp->idlen);
	p = PUT(p + sp->idlen, ",{}\n");
	ob_done(&m->ms, p);

	p = ob_room(&m->rels, 64 + sp->idlen);
	p = put_mo(m, p, o->seq);
	*p++ = ',';
	memcpy(p, sp->id, sp->idlen);
	p = PUT(p + sp->idlen, ",SUBSET,,\n");
	ob_done(&m->rels, p);
}

/* An exited PD's HOLD of object seq: its NODE_ID has no bound on its length. */
static void write_exited_hold(struct ms *m, u32 exited, u64 seq, u64 reads,
			      u64 writes)
{
	const struct esc *id = xid_of(m, exited);
	struct obuf *out[2] = { &m->ms, &m->rels };
	char *p;

	for (int i = 0; i < 2; i++) {
		if (!i)
			OB_LIT(out[i], ",,,HOLD,");
		ob_mem(out[i], id->s, id->len);
		p = ob_room(out[i], 120);
		*p++ = ',';
		p = put_mo(m, p, seq);
		if (i) {
			p = PUT(p, ",HOLD,");
			p = fmt_u64(p, reads);
			*p++ = ',';
			p = fmt_u64(p, writes);
			*p++ = '\n';
		} else {
			p = PUT(p, ",\"{\"\"reads\"\":");
			p = fmt_u64(p, reads);
			p = PUT(p, ",\"\"writes\"\":");
			p = fmt_u64(p, writes);
			p = PUT(p, "}\"\n");
		}
		ob_done(out[i], p);
	}
}

/*
 * pid HOLD object seq, with the pid's reads and writes of it.  The row in
 * PREFIX_relationships.csv repeats the ids and numbers of the one in
 * PREFIX.csv: copied from there (fixed-size copies, within the room asked
 * for), not formatted again.
 */
static void write_hold(struct ms *m, s64 pid, u64 seq, bool allocated,
		       u64 reads, u64 writes)
{
	char *p = ob_room(&m->ms, 200), *ids, *r, *w, *q;
	size_t nids, nr, nw;

	p = PUT(p, ",,,HOLD,");
	ids = p;
	p = PUT(p, "PD_");
	p = fmt_s64(p, pid);
	*p++ = ',';
	p = put_mo(m, p, seq);
	nids = (size_t)(p - ids);
	if (allocated)
		p = PUT(p, ",\"{\"\"allocated\"\":true,\"\"reads\"\":");
	else
		p = PUT(p, ",\"{\"\"reads\"\":");
	r = p;
	p = fmt_u64(p, reads);
	nr = (size_t)(p - r);
	p = PUT(p, ",\"\"writes\"\":");
	w = p;
	p = fmt_u64(p, writes);
	nw = (size_t)(p - w);
	p = PUT(p, "}\"\n");
	ob_done(&m->ms, p);

	q = ob_room(&m->rels, 160);
	memcpy(q, ids, 64);
	q = PUT(q + nids, ",HOLD,");
	memcpy(q, r, 24);
	q += nr;
	*q++ = ',';
	memcpy(q, w, 24);
	q += nw;
	*q++ = '\n';
	ob_done(&m->rels, q);
}

static void m_obj(void *ctx, struct kobj *o)
{
	(void)ctx;
	(void)o;
}

static void m_acc(void *ctx, struct kobj *o, const struct kacc *a)
{
	struct ms *m = ctx;

	edges_add(&m->es, o, 0, a);
}

/* The accessors' HOLD edges (the allocator's was written with its object). */
static void flush_edges(struct ms *m)
{
	for (size_t i = 0; i < m->es.n; i++) {
		struct edge *e = &m->es.e[i];

		if (edge_is_allocators(e))
			continue;
		pids_note(e->pid, e->exited, 0);
		if (e->exited)
			write_exited_hold(m, e->exited, e->seq, e->reads, e->writes);
		else
			write_hold(m, e->pid, e->seq, false, e->reads, e->writes);
	}
	edges_reset(&m->es);
}

/* Written at the end of the object, once its read and write totals are known. */
static void m_end(void *ctx, struct kobj *o)
{
	struct ms *m = ctx;
	u32 sp = space_of(&m->ss, o);

	write_resource(m, o);
	write_subset(m, o, &m->ss.v[sp]);
	if (obj_has_owner(o)) {
		struct edge *e = edges_find(&m->es, o->seq, o->pid, 0);

		pids_note(o->pid, 0, o->comm);
		write_hold(m, o->pid, o->seq, true, e ? e->reads : 0,
			   e ? e->writes : 0);
	}
	if (m->c->grouped)
		flush_edges(m);
}

static void write_spaces(struct ms *m)
{
	for (size_t i = 0; i < m->ss.n; i++) {
		struct space *sp = &m->ss.v[i];

		OB_LIT(&m->ms, "RESOURCE_SPACE,");
		ob_mem(&m->ms, sp->id, sp->idlen);
		OB_LIT(&m->ms, ",MO,,,,");
		ob_mem(&m->ms, sp->json, sp->jsonlen);
		OB_LIT(&m->ms, "\n,,,HOLD,PD_KERNEL,");
		ob_mem(&m->ms, sp->id, sp->idlen);
		OB_LIT(&m->ms, ",{}\n");
		ob_mem(&m->spaces, sp->id, sp->idlen);
		OB_LIT(&m->spaces, ",RESOURCE_SPACE,MO,");
		ob_mem(&m->spaces, sp->json, sp->jsonlen);
		OB_LIT(&m->spaces, "\n");
		OB_LIT(&m->rels, "PD_KERNEL,");
		ob_mem(&m->rels, sp->id, sp->idlen);
		OB_LIT(&m->rels, ",HOLD,,\n");
		if (sp->map < 0)
			continue;
		OB_LIT(&m->ms, ",,,MAP,");
		ob_mem(&m->ms, sp->id, sp->idlen);
		OB_LIT(&m->ms, ",");
		ob_mem(&m->ms, m->ss.v[sp->map].id, m->ss.v[sp->map].idlen);
		OB_LIT(&m->ms, ",{}\n");
		ob_mem(&m->rels, sp->id, sp->idlen);
		OB_LIT(&m->rels, ",");
		ob_mem(&m->rels, m->ss.v[sp->map].id, m->ss.v[sp->map].idlen);
		OB_LIT(&m->rels, ",MAP,,\n");
	}
}

/*
 * An exited PD: NODE_ID PD_exited:COMMAND, DATA its command, EXTRA
 * {"pid":-2,"exited":COMMAND} (the neo4j file's EXTRA:long -2).
 */
static void write_exited_pd(struct ms *m, u32 exited, const char *comms)
{
	const struct esc id = *xid_of(m, exited), *js = json_of(m, exited - 1);

	OB_LIT(&m->ms, "PD,");
	ob_mem(&m->ms, id.s, id.len);
	OB_LIT(&m->ms, ",");
	ob_csv(&m->ms, comms, strlen(comms));
	OB_LIT(&m->ms, ",,,,\"{\"\"pid\"\":-2,\"\"exited\"\":");
	ob_mem(&m->ms, js->s, js->len);
	OB_LIT(&m->ms, "}\"\n,,MO,REQUEST,");
	ob_mem(&m->ms, id.s, id.len);
	OB_LIT(&m->ms, ",PD_KERNEL,{}\n");

	ob_mem(&m->nodes, id.s, id.len);
	OB_LIT(&m->nodes, ",PD,");
	ob_csv(&m->nodes, comms, strlen(comms));
	OB_LIT(&m->nodes, ",-2\n");

	ob_mem(&m->rels, id.s, id.len);
	OB_LIT(&m->rels, ",PD_KERNEL,REQUEST,,\n");
}

static void write_pds(struct ms *m)
{
	struct pidinfo **p;
	size_t n;
	char *q;

	if (!m->ss.n)
		return;		/* no object: no model */
	OB_LIT(&m->ms, "PD,PD_KERNEL,kernel,,,,\"{\"\"kernel\"\":true}\"\n");
	OB_LIT(&m->nodes, "PD_KERNEL,PD,kernel,\n");
	p = pids_sorted(&n);
	for (size_t i = 0; i < n; i++) {
		char *comms = pid_comms_joined(p[i]);

		if (p[i]->exited) {
			write_exited_pd(m, p[i]->exited, comms);
			free(comms);
			continue;
		}
		q = ob_room(&m->ms, 40);
		q = PUT(q, "PD,PD_");
		q = fmt_s64(q, p[i]->pid);
		*q++ = ',';
		ob_done(&m->ms, q);
		ob_csv(&m->ms, comms, strlen(comms));
		q = ob_room(&m->ms, 140);
		q = PUT(q, ",,,,\"{\"\"pid\"\":");
		q = fmt_s64(q, p[i]->pid);
		q = PUT(q, "}\"\n,,MO,REQUEST,PD_");
		q = fmt_s64(q, p[i]->pid);
		q = PUT(q, ",PD_KERNEL,{}\n");
		ob_done(&m->ms, q);

		q = ob_room(&m->nodes, 40);
		q = PUT(q, "PD_");
		q = fmt_s64(q, p[i]->pid);
		q = PUT(q, ",PD,");
		ob_done(&m->nodes, q);
		ob_csv(&m->nodes, comms, strlen(comms));
		q = ob_room(&m->nodes, 24);
		*q++ = ',';
		q = fmt_s64(q, p[i]->pid);
		*q++ = '\n';
		ob_done(&m->nodes, q);

		q = ob_room(&m->rels, 64);
		q = PUT(q, "PD_");
		q = fmt_s64(q, p[i]->pid);
		q = PUT(q, ",PD_KERNEL,REQUEST,,\n");
		ob_done(&m->rels, q);
		free(comms);
	}
	free(p);
}

static void m_finish(void *ctx)
{
	struct ms *m = ctx;

	flush_edges(m);
	write_spaces(m);
	write_pds(m);
}

int cmd_modelstate(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", 1, NULL, 'o' },
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const suffix[] = {
		".csv", "_nodes.csv", "_spaces.csv", "_relationships.csv",
	};
	struct common co = { 0 };
	struct ms m = { 0 };
	struct consumer c = {
		.obj = m_obj, .acc = m_acc, .end = m_end, .finish = m_finish,
		.ctx = &m,
	};
	struct obuf *out[] = { &m.ms, &m.nodes, &m.spaces, &m.rels };
	const char *prefix = "modelstate";
	char *path[4];
	int opt;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS "o:", lo, NULL)) != -1) {
		if (common_opt(&co, opt, optarg, "modelstate", usage_text))
			continue;
		if (opt == 'o')
			prefix = optarg;
	}
	common_setup(&co);
	m.c = &c;
	edges_init(&m.es);
	spaces_init(&m.ss);
	for (int i = 0; i < 4; i++) {
		path[i] = str_join(prefix, suffix[i]);
		ob_open(out[i], path[i]);
	}
	OB_LIT(&m.ms, "NODE_TYPE,NODE_ID,DATA,EDGE_TYPE,EDGE_FROM,EDGE_TO,EXTRA\n");
	OB_LIT(&m.nodes, "ID:ID,:LABEL,DATA,EXTRA:long\n");
	OB_LIT(&m.spaces, "ID:ID,:LABEL,DATA,EXTRA\n");
	OB_LIT(&m.rels, ":START_ID,:END_ID,:TYPE,READS:long,WRITES:long\n");
	read_inputs(argv + optind, argc - optind, &co.ro, &c);
	for (int i = 0; i < 4; i++) {
		ob_close(out[i]);
		free(path[i]);
	}
	for (size_t i = 0; i < m.capjson; i++)
		free(m.json[i].s);
	free(m.json);
	for (size_t i = 0; i < m.capxid; i++)
		free(m.xid[i].s);
	free(m.xid);
	edges_free(&m.es);
	spaces_free(&m.ss);
	return 0;
}
