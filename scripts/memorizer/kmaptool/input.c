// SPDX-License-Identifier: GPL-2.0
/*
 * Which inputs, in which order.  A kmap streams: each object comes with its
 * accesses.  The debugfs allocations and accesses CSV files are separate,
 * so accesses are joined to their object by (obj_va_ptr, alloc_index)
 * through a table of objects: memory proportional to the objects, the least
 * a join can hold.
 */
#include <stdlib.h>
#include <string.h>

#include "input.h"

static const char ALLOC_HDR[] =
	"alloc_ip,pid,obj_va_ptr,size,alloc_index,free_index,free_ip,"
	"alloc_type,command,slabname,new_alloc_type";
static const char ACCESS_HDR[] =
	"obj_va_ptr,alloc_index,access_ip,write_count,read_count,access_pid";
/* Kernels that fold exited tasks' records by command: one column more. */
static const char ACCESS_CMD_HDR[] =
	"obj_va_ptr,alloc_index,access_ip,write_count,read_count,access_pid,"
	"access_command";

static u32 noslab;

/* A mapped kmap is parsed on every CPU; a pipe in this thread. */
static void read_kmap(struct src *s, struct consumer *c)
{
	if (s->map && pool_wanted(c))
		pool_run(s, c);
	else
		parse_kmap_serial(s, c);
}

/* ---- classification ---------------------------------------------------- */

static bool has_header(const char *line, size_t len, const char *hdr, size_t hlen)
{
	return len >= hlen && !memcmp(line, hdr, hlen) &&
	       (len == hlen || line[hlen] == ',' || line[hlen] == '\r');
}

/* What a file is, from its first line. */
static void classify(struct src *s)
{
	const char *line;
	size_t len;

	s->kind = K_KMAP;
	if (!src_first_line(s, &line, &len))
		return;
	if (has_header(line, len, ALLOC_HDR, sizeof(ALLOC_HDR) - 1))
		s->kind = K_ALLOCS;
	else if (has_header(line, len, ACCESS_HDR, sizeof(ACCESS_HDR) - 1))
		s->kind = K_ACCESSES;
	else if ((len >= 9 && !memcmp(line, "alloc_ip,", 9)) ||
		 (len >= 11 && !memcmp(line, "obj_va_ptr,", 11)))
		die("%s:1: expected the header '%s' or '%s'", s->name,
		    ALLOC_HDR, ACCESS_HDR);
	else
		return;
	s->acc_command = s->kind == K_ACCESSES &&
		has_header(line, len, ACCESS_CMD_HDR, sizeof(ACCESS_CMD_HDR) - 1);
	if (len && line[len - 1] == '\r')
		len--;
	s->ncols = 1;
	for (size_t i = 0; i < len; i++)
		s->ncols += line[i] == ',';
}

static void noop_finish(void *ctx)
{
	(void)ctx;
}

void read_inputs(char **files, int nfiles, const struct read_opts *ro,
		 struct consumer *c)
{
	static char *dash[] = { "-" };
	struct src *srcs;
	int nkmap = 0, nalloc = 0, nacc = 0, nstdin = 0;
	bool table;

	parse_init(ro);
	noslab = str_intern("no-slab", 7);
	if (nfiles == 0) {
		files = dash;
		nfiles = 1;
	}
	if (!c->finish)
		c->finish = noop_finish;
	srcs = xcalloc((size_t)nfiles, sizeof(*srcs));
	for (int i = 0; i < nfiles; i++) {
		if (!strcmp(files[i], "-") && nstdin++)
			die_usage("standard input ('-') named twice");
		src_open(&srcs[i], files[i]);
		classify(&srcs[i]);
		nkmap += srcs[i].kind == K_KMAP;
		nalloc += srcs[i].kind == K_ALLOCS;
		nacc += srcs[i].kind == K_ACCESSES;
	}
	if (nkmap && (nalloc || nacc))
		die("cannot mix kmap and CSV (allocations/accesses) inputs");
	if (c->need_kmap && (nalloc || nacc))
		die("%s: this subcommand needs a kmap, not an %s file", srcs[0].name,
		    srcs[0].kind == K_ALLOCS ? "allocations" : "accesses");

	table = nacc > 0;
	c->grouped = !table;
	if (table)
		table_init();
	/* Objects before the accesses that refer to them. */
	for (int i = 0; i < nfiles; i++)
		if (srcs[i].kind == K_KMAP)
			read_kmap(&srcs[i], c);
		else if (srcs[i].kind == K_ALLOCS)
			parse_allocs(&srcs[i], c, table);
	for (int i = 0; i < nfiles; i++)
		if (srcs[i].kind == K_ACCESSES)
			parse_accesses(&srcs[i], c);
	if (table)
		table_end_all(c);
	for (int i = 0; i < nfiles; i++)
		src_close(&srcs[i]);
	free(srcs);
	c->finish(c->ctx);
	parse_report();
	parse_thread_exit();
}

/* ---- grouping ---------------------------------------------------------- */

u32 obj_group(const struct kobj *o, enum by_kind by)
{
	if (by == BY_TYPE)
		return o->type;
	/* Objects outside any cache are grouped by their allocator instead. */
	if (o->slab == 0 || o->slab == noslab)
		return o->type;
	return o->slab;
}

u32 noslab_id(void)
{
	return noslab;
}

enum by_kind parse_by(const char *arg)
{
	if (!strcmp(arg, "type"))
		return BY_TYPE;
	if (!strcmp(arg, "cache"))
		return BY_CACHE;
	die_usage("--by: expected 'type' or 'cache', got '%s'", arg);
}
