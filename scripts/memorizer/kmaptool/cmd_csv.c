// SPDX-License-Identifier: GPL-2.0
/*
 * csv: a kmap as two pandas-ready CSV files, with symbol names added so a
 * notebook does not have to symbolize addresses itself.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kmaptool.h"

static const char usage_text[] =
	"Usage: " KT_NAME " csv [OPTIONS] [FILE...]\n"
	"Writes PREFIX_allocations.csv (one row per object) and PREFIX_accesses.csv\n"
	"(one row per access line), each with a header line:\n"
	"  alloc_ip,pid,obj_va_ptr,size,alloc_index,free_index,free_ip,alloc_type,\n"
	"  command,slabname,new_alloc_type,reads,writes,alloc_sym,free_sym\n"
	"  obj_va_ptr,alloc_index,access_ip,write_count,read_count,access_pid,\n"
	"  access_command,access_sym\n"
	"reads/writes total the object's access lines; access_command is the\n"
	"command of access_pid -2 (the exited tasks of that command), blank for\n"
	"other pids; *_sym are function+0xoff\n"
	"with --symbols, else the address in hex; with --vmlinux, alloc_src,\n"
	"free_src and access_src columns hold file:line.\n"
	"\n"
	"  -o, --output PREFIX   output file prefix (default 'kmap')\n"
	COMMON_USAGE;

struct csvout {
	FILE *al, *ac;
};

static void put_sym(FILE *f, u64 ip)
{
	char b[SYMBUF];

	sym_format(ip, b, sizeof(b));
	fputc(',', f);
	csv_field(f, b, strlen(b));
}

static void put_src(FILE *f, u64 ip)
{
	const char *s;

	if (!syms_have_src())
		return;
	s = sym_src(ip);
	fputc(',', f);
	csv_field(f, s, strlen(s));
}

static void c_obj(void *ctx, struct kobj *o)
{
	(void)ctx;
	(void)o;
}

static void c_acc(void *ctx, struct kobj *o, const struct kacc *a)
{
	FILE *f = ((struct csvout *)ctx)->ac;

	fprintf(f, "%llx,%llu,%llx,%llu,%llu,%lld", (unsigned long long)o->va,
		(unsigned long long)o->alloc_index, (unsigned long long)a->ip,
		(unsigned long long)a->writes, (unsigned long long)a->reads,
		(long long)a->pid);
	fputc(',', f);
	csv_str(f, a->comm);
	put_sym(f, a->ip);
	put_src(f, a->ip);
	fputc('\n', f);
}

static void c_end(void *ctx, struct kobj *o)
{
	FILE *f = ((struct csvout *)ctx)->al;

	if (o->stub)	/* no allocations row named it */
		return;
	fprintf(f, "%llx,%lld,%llx,%llu,%llu,%llu,%llx,",
		(unsigned long long)o->alloc_ip, (long long)o->pid,
		(unsigned long long)o->va, (unsigned long long)o->size,
		(unsigned long long)o->alloc_index,
		(unsigned long long)o->free_index, (unsigned long long)o->free_ip);
	csv_str(f, o->type);
	fputc(',', f);
	csv_str(f, o->comm);
	fputc(',', f);
	csv_str(f, o->slab);
	fputc(',', f);
	csv_str(f, o->new_type);
	fprintf(f, ",%llu,%llu", (unsigned long long)o->reads,
		(unsigned long long)o->writes);
	put_sym(f, o->alloc_ip);
	put_sym(f, o->free_ip);
	put_src(f, o->alloc_ip);
	put_src(f, o->free_ip);
	fputc('\n', f);
}

int cmd_csv(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", 1, NULL, 'o' },
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct common co = { 0 };
	struct csvout out;
	struct consumer c = {
		.obj = c_obj, .acc = c_acc, .end = c_end, .ctx = &out,
	};
	const char *prefix = "kmap";
	char *alpath, *acpath;
	int opt;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS "o:", lo, NULL)) != -1) {
		if (common_opt(&co, opt, optarg, "csv", usage_text))
			continue;
		if (opt == 'o')
			prefix = optarg;
	}
	common_setup(&co);
	alpath = str_join(prefix, "_allocations.csv");
	acpath = str_join(prefix, "_accesses.csv");
	out.al = xfopen_out(alpath);
	out.ac = xfopen_out(acpath);
	fputs("alloc_ip,pid,obj_va_ptr,size,alloc_index,free_index,free_ip,"
	      "alloc_type,command,slabname,new_alloc_type,reads,writes,"
	      "alloc_sym,free_sym", out.al);
	fputs(syms_have_src() ? ",alloc_src,free_src\n" : "\n", out.al);
	fputs("obj_va_ptr,alloc_index,access_ip,write_count,read_count,"
	      "access_pid,access_command,access_sym", out.ac);
	fputs(syms_have_src() ? ",access_src\n" : "\n", out.ac);
	read_inputs(argv + optind, argc - optind, &co.ro, &c);
	xfclose_out(out.al, alpath);
	xfclose_out(out.ac, acpath);
	free(alpath);
	free(acpath);
	return 0;
}
