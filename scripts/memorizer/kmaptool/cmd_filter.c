// SPDX-License-Identifier: GPL-2.0
/*
 * filter: keep the objects that match, as a kmap.
 *
 * Kept lines are the input lines themselves, so the output is a kmap in
 * exactly the input's field forms and any tool that read the input reads
 * the output.  Only the current object's lines are buffered, since whether
 * it is kept can depend on its last access line.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kmaptool.h"

static const char usage_text[] =
	"Usage: " KT_NAME " filter [OPTIONS] [FILE...]\n"
	"Writes the objects of a kmap that match every kind of condition given\n"
	"(any one value for a repeated option), each with all its access lines.\n"
	"\n"
	"  -p, --pid N           allocated by pid N\n"
	"  -c, --comm NAME       allocated by command NAME\n"
	"  -t, --type TYPE       alloc_type TYPE (name or number)\n"
	"  -C, --cache NAME      in slab cache NAME\n"
	"  -i, --index A-B       alloc_index from A to B inclusive (A-, -B, A too)\n"
	"      --live            not freed (free_index 0)\n"
	"      --freed           freed\n"
	"  -a, --access-pid N    has an access line from pid N (-2: the aggregate\n"
	"                        of a command's exited tasks, any command)\n"
	"  -f, --func NAME       has an access line in function NAME (needs -s)\n"
	"                        (with both -a and -f, the same access line must match)\n"
	"  -o, --output FILE     write to FILE instead of standard output\n"
	COMMON_USAGE;

enum { OPT_LIVE = 0x200, OPT_FREED };

struct range {
	u64 lo, hi;
};

struct filter {
	s64 *pids, *apids;
	size_t npids, capp, napids, capap;
	u32 *comms, *types, *caches;
	size_t ncomms, capc, ntypes, capt, ncaches, capca;
	struct range *idx;
	size_t nidx, capi;
	const char **funcs;
	size_t nfuncs, capf;
	bool live, freed;
	/* the current object */
	bool obj_ok, acc_ok;
	char *buf;
	size_t len, cap;
	struct hmap ipmatch;	/* access IP -> 1 + (function matches) */
	FILE *out;
	u64 kept;
};

static void append(struct filter *f, const char *s, size_t n)
{
	GROW(f->buf, f->cap, f->len + n + 1);
	memcpy(f->buf + f->len, s, n);
	f->len += n;
	f->buf[f->len++] = '\n';
}

static bool in_u32(const u32 *v, size_t n, u32 x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static bool in_s64(const s64 *v, size_t n, s64 x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static bool obj_matches(struct filter *f, const struct kobj *o)
{
	if (f->npids && !in_s64(f->pids, f->npids, o->pid))
		return false;
	if (f->ncomms && !in_u32(f->comms, f->ncomms, o->comm))
		return false;
	if (f->ntypes && !in_u32(f->types, f->ntypes, o->type))
		return false;
	if (f->ncaches && !in_u32(f->caches, f->ncaches, o->slab))
		return false;
	if (f->nidx) {
		size_t i;

		for (i = 0; i < f->nidx; i++)
			if (o->alloc_index >= f->idx[i].lo &&
			    o->alloc_index <= f->idx[i].hi)
				break;
		if (i == f->nidx)
			return false;
	}
	if ((f->live || f->freed) &&
	    !((f->live && o->free_index == 0) || (f->freed && o->free_index)))
		return false;
	return true;
}

static bool func_matches(struct filter *f, u64 ip)
{
	bool isnew;
	u32 *v = hmap_put(&f->ipmatch, ip, 0, &isnew);

	if (isnew) {
		long s = sym_index(ip);

		*v = 1;
		for (size_t i = 0; s >= 0 && i < f->nfuncs; i++)
			if (!strcmp(sym_name(s), f->funcs[i]))
				*v = 2;
	}
	return *v == 2;
}

static void f_obj(void *ctx, struct kobj *o)
{
	struct filter *f = ctx;

	f->len = 0;
	f->obj_ok = obj_matches(f, o);
	f->acc_ok = !f->napids && !f->nfuncs;
	if (f->obj_ok)
		append(f, o->line, o->linelen);
}

static void f_acc(void *ctx, struct kobj *o, const struct kacc *a)
{
	struct filter *f = ctx;

	(void)o;
	if (!f->obj_ok)
		return;
	if (!f->acc_ok &&
	    (!f->napids || in_s64(f->apids, f->napids, a->pid)) &&
	    (!f->nfuncs || func_matches(f, a->ip)))
		f->acc_ok = true;
	append(f, a->line, a->linelen);
}

static void f_end(void *ctx, struct kobj *o)
{
	struct filter *f = ctx;

	(void)o;
	if (f->obj_ok && f->acc_ok) {
		fwrite(f->buf, 1, f->len, f->out);
		f->kept++;
	}
}

static struct range parse_range(const char *arg)
{
	const char *dash = strchr(arg, '-');
	struct range r = { 0, UINT64_MAX };

	if (!dash) {
		r.lo = r.hi = opt_u64("--index", arg);
		return r;
	}
	if (dash > arg && !parse_udec(arg, (size_t)(dash - arg), &r.lo))
		die_usage("--index: expected A-B, A-, -B or A, got '%s'", arg);
	if (dash[1] && !parse_udec(dash + 1, strlen(dash + 1), &r.hi))
		die_usage("--index: expected A-B, A-, -B or A, got '%s'", arg);
	if (dash == arg && !dash[1])
		die_usage("--index: expected A-B, A-, -B or A, got '%s'", arg);
	if (r.lo > r.hi)
		die_usage("--index: empty range '%s'", arg);
	return r;
}

int cmd_filter(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pid", 1, NULL, 'p' },
		{ "comm", 1, NULL, 'c' },
		{ "type", 1, NULL, 't' },
		{ "cache", 1, NULL, 'C' },
		{ "index", 1, NULL, 'i' },
		{ "live", 0, NULL, OPT_LIVE },
		{ "freed", 0, NULL, OPT_FREED },
		{ "access-pid", 1, NULL, 'a' },
		{ "func", 1, NULL, 'f' },
		{ "output", 1, NULL, 'o' },
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct common co = { 0 };
	struct filter f = { 0 };
	struct consumer c = {
		.obj = f_obj, .acc = f_acc, .end = f_end, .ctx = &f,
		.need_kmap = true,
	};
	const char *out = "-";
	int opt;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS "p:c:t:C:i:a:f:o:",
				  lo, NULL)) != -1) {
		if (common_opt(&co, opt, optarg, "filter", usage_text))
			continue;
		switch (opt) {
		case 'p':
			GROW(f.pids, f.capp, f.npids + 1);
			f.pids[f.npids++] = opt_s64("--pid", optarg);
			break;
		case 'a':
			GROW(f.apids, f.capap, f.napids + 1);
			f.apids[f.napids++] = opt_s64("--access-pid", optarg);
			break;
		case 'c':
			GROW(f.comms, f.capc, f.ncomms + 1);
			f.comms[f.ncomms++] = str_intern(optarg, strlen(optarg));
			break;
		case 't':
			GROW(f.types, f.capt, f.ntypes + 1);
			f.types[f.ntypes++] = alloc_type_id(optarg);
			break;
		case 'C':
			GROW(f.caches, f.capca, f.ncaches + 1);
			f.caches[f.ncaches++] = str_intern(optarg, strlen(optarg));
			break;
		case 'i':
			GROW(f.idx, f.capi, f.nidx + 1);
			f.idx[f.nidx++] = parse_range(optarg);
			break;
		case 'f':
			GROW(f.funcs, f.capf, f.nfuncs + 1);
			f.funcs[f.nfuncs++] = optarg;
			break;
		case OPT_LIVE:
			f.live = true;
			break;
		case OPT_FREED:
			f.freed = true;
			break;
		case 'o':
			out = optarg;
			break;
		}
	}
	if (f.nfuncs && !co.symbols)
		die_usage("--func needs --symbols FILE to know where functions are");
	common_setup(&co);
	hmap_init(&f.ipmatch, 1024);
	f.out = xfopen_out(out);
	read_inputs(argv + optind, argc - optind, &co.ro, &c);
	xfclose_out(f.out, out);
	free(f.pids);
	free(f.apids);
	free(f.comms);
	free(f.types);
	free(f.caches);
	free(f.idx);
	free(f.funcs);
	free(f.buf);
	hmap_free(&f.ipmatch);
	return 0;
}
