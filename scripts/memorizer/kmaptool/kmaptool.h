/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmaptool: analysis of Memorizer kmaps (see kmaptool.1).
 *
 * Everything is built around one streaming reader (src.c, parse.c, pool.c,
 * input.c) that hands each object and each access to a "consumer" (one per
 * subcommand), so that no subcommand ever holds the input in memory.
 */
#ifndef KMAPTOOL_H
#define KMAPTOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef uint64_t u64;
typedef int64_t s64;
typedef uint32_t u32;

#define KT_NAME "kmaptool"

/* Exit codes: data or I/O errors vs. bad command lines. */
#define EXIT_DATA	1
#define EXIT_USAGE	2

/* ---- util.c ---------------------------------------------------------- */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Zeroed memory for a large, randomly probed table (huge pages). */
void *table_alloc(size_t bytes);
void table_free(void *p, size_t bytes);
__attribute__((noreturn, format(printf, 1, 2)))
void die(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2)))
void die_usage(const char *fmt, ...);

/* Grow *v (of *cap elements of size sz) so that it holds at least need. */
void grow(void **v, size_t *cap, size_t need, size_t sz);
#define GROW(v, cap, need) grow((void **)&(v), &(cap), (need), sizeof(*(v)))

/*
 * Interned strings.  Types, caches and commands repeat millions of times but
 * have few distinct values, so consumers key their tables by a small id.
 * Id 0 is always the empty string.
 */
u32 str_intern(const char *s, size_t len);
const char *str_get(u32 id);
size_t str_len(u32 id);
/* The name to show a human for id: "(none)" for the empty string. */
const char *str_show(u32 id);

/*
 * Open-addressing hash from a pair of u64 keys to a u32 value (usually an
 * index into the caller's own array).  One implementation serves every
 * table: (ip, cache), (object, pid), (va, alloc_index), pids...
 */
struct hmap {
	struct hslot *slot;
	u32 mask;
	u32 n;
	u32 gen;
};
void hmap_init(struct hmap *h, u32 size_hint);
void hmap_free(struct hmap *h);
/* Returns the value slot for (a, b); *isnew tells whether it was created. */
u32 *hmap_put(struct hmap *h, u64 a, u64 b, bool *isnew);
u32 *hmap_get(struct hmap *h, u64 a, u64 b);
/* Forget everything in O(1), for tables reset once per object. */
void hmap_clear(struct hmap *h);

/* Write s as one CSV field, quoted only when it has to be (RFC 4180). */
void csv_field(FILE *f, const char *s, size_t len);
void csv_str(FILE *f, u32 id);

FILE *xfopen_out(const char *path);
char *str_join(const char *a, const char *b);
void sort_n(void *base, size_t n, size_t size,
	    int (*cmp)(const void *, const void *));
/*
 * The k first of n in the order sort_n() gives, sorted at the front of
 * base (the rest in no order): a top-k list of many more for O(n log k).
 * The same as sort_n() when cmp leaves no ties.
 */
void sort_top(void *base, size_t n, size_t k, size_t size,
	      int (*cmp)(const void *, const void *));
void xfclose_out(FILE *f, const char *path);

/* Numbers as the rest of the option parsing wants them, or die_usage(). */
u64 opt_u64(const char *opt, const char *arg);
s64 opt_s64(const char *opt, const char *arg);

/* ---- alloc types ------------------------------------------------------ */

#define NR_ALLOC_TYPES 0x1b
extern const char *const alloc_type_names[NR_ALLOC_TYPES];

/* ---- the reader (input.c, parse.c) ----------------------------------- */

/* One object line (kmap) or allocations row, normalised. */
struct kobj {
	u64 alloc_ip;
	s64 pid;
	u64 va;
	u64 size;
	u64 alloc_index;
	u64 free_index;
	u64 free_ip;
	u32 type;	/* interned alloc_type, number form turned into a name */
	u32 comm;
	u32 slab;
	u32 new_type;
	u64 seq;	/* 0, 1, 2... in input order, unique per run (consumer side) */
	/* The raw line (kmap input only), valid during the obj() callback. */
	const char *line;
	size_t linelen;
	/*
	 * From here on, filled in as accesses arrive (final at end()); the
	 * parser does not send these between threads (see pool.c).
	 */
	u64 reads;
	u64 writes;
	u64 naccess;
	bool stub;	/* seen only in an accesses file: attributes unknown */
};
#define KOBJ_PARSED offsetof(struct kobj, reads)

/* One access line (kmap) or accesses row. */
struct kacc {
	u64 ip;
	u64 writes;
	u64 reads;
	s64 pid;
	const char *line;	/* as for kobj.line */
	size_t linelen;
};

/*
 * What a subcommand does with the stream.  For a kmap, obj() is followed by
 * the object's acc() calls and then end(): "grouped".  For allocations plus
 * accesses CSV files the accesses come after all objects, so acc() calls for
 * different objects interleave and end() comes at the very end: consumers
 * that aggregate per object check c->grouped.
 */
struct consumer {
	void (*obj)(void *ctx, struct kobj *o);
	void (*acc)(void *ctx, struct kobj *o, const struct kacc *a);
	void (*end)(void *ctx, struct kobj *o);
	void (*finish)(void *ctx);
	void *ctx;
	bool need_kmap;	/* refuse CSV input (filter) */
	bool grouped;	/* set by the reader */
};

struct read_opts {
	bool lenient;
};

/* Reads the nfiles inputs ("-" is stdin; none: stdin) into c. */
void read_inputs(char **files, int nfiles, const struct read_opts *ro,
		 struct consumer *c);

/* The interned id of an alloc_type given by name or number. */
u32 alloc_type_id(const char *s);

/* Type of an object as grouped by --by type (default) or --by cache. */
enum by_kind { BY_TYPE, BY_CACHE };
u32 obj_group(const struct kobj *o, enum by_kind by);
enum by_kind parse_by(const char *arg);

/* Number parsers shared with the option code (no 0x: decimal). */
bool parse_hex(const char *s, size_t n, u64 *v);
bool parse_udec(const char *s, size_t n, u64 *v);
bool parse_sdec(const char *s, size_t n, s64 *v);

/* ---- symbols.c -------------------------------------------------------- */

void syms_load(const char *path);
void syms_set_vmlinux(const char *path);
/* "func+0xoff", "func+0xoff [mod]", or the address in hex. */
void sym_format(u64 ip, char *buf, size_t n);
/* Index of the function holding ip, or -1. */
long sym_index(u64 ip);
/* Display name of a function index ("func" or "func [mod]"). */
void sym_func_name(long idx, char *buf, size_t n);
const char *sym_name(long idx);
/* "file:line" from addr2line, or "" without --vmlinux or when unknown. */
const char *sym_src(u64 ip);
bool syms_have_src(void);

/* ---- common option handling (main.c) ---------------------------------- */

struct common {
	struct read_opts ro;
	const char *symbols;
	const char *vmlinux;
};

/* Loads the symbol file and vmlinux named on the command line, if any. */
void common_setup(struct common *co);

#define SYMBUF 256

/* ---- subcommands ------------------------------------------------------ */

int cmd_summary(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_csv(int argc, char **argv);
int cmd_modelstate(int argc, char **argv);
int cmd_share(int argc, char **argv);
int cmd_dot(int argc, char **argv);

/*
 * Shared option table entries and handler: every subcommand takes these.
 * Option values below 256 are short options; the common long-only ones use
 * 0x100 and up, subcommands' own use 0x200 and up.
 */
enum {
	OPT_VMLINUX = 0x100,
	OPT_LENIENT,
};
#define COMMON_LONGOPTS							\
	{ "symbols", 1, NULL, 's' },					\
	{ "vmlinux", 1, NULL, OPT_VMLINUX },				\
	{ "lenient", 0, NULL, OPT_LENIENT },				\
	{ "help", 0, NULL, 'h' }
#define COMMON_SHORTOPTS "s:h"
#define COMMON_USAGE							\
	"  -s, --symbols FILE  System.map or copy of /proc/kallsyms\n"	\
	"      --vmlinux FILE  vmlinux with debug info: file:line via addr2line\n" \
	"      --lenient       skip and count malformed lines instead of failing\n" \
	"  -h, --help          this help\n"

/*
 * Handles a common option; returns false if c is not one.  For -h prints
 * usage to stdout and exits 0; for '?' prints a hint and exits 2.
 */
bool common_opt(struct common *co, int c, const char *arg, const char *cmd,
		const char *usage);

/* ---- model.c: (object, pid) access edges ------------------------------ */

struct edge {
	u64 seq;	/* object */
	s64 pid;
	u64 reads;
	u64 writes;
	/* Copied from the object so that ungrouped flushes need no table. */
	u64 va;
	u64 alloc_index;
	u64 size;
	u64 alloc_ip;
	u32 group;
};

struct edgeset {
	struct edge *e;
	size_t n, cap;
	bool hashed;	/* h indexes e (many edges) */
	struct hmap h;
};

void edges_init(struct edgeset *es);
void edges_add(struct edgeset *es, const struct kobj *o, u32 group,
	       const struct kacc *a);
void edges_reset(struct edgeset *es);
void edges_free(struct edgeset *es);

/* ---- model.c: what is known about each pid ---------------------------- */

struct pidinfo {
	s64 pid;
	u32 *comms;	/* process-context commands, first seen first */
	u32 ncomms, capcomms;
	u32 idx;	/* position in pids_sorted() */
};

void pids_init(void);
/* Records pid, and comm unless it is 0 or an interrupt-context label. */
struct pidinfo *pids_note(s64 pid, u32 comm);
struct pidinfo *pids_find(s64 pid);
bool pid_has_comm(const struct pidinfo *p, u32 comm);
/* All pids, sorted ascending; *n is set to the count. */
struct pidinfo **pids_sorted(size_t *n);
/* The commands joined with '|' (malloc'd). */
char *pid_comms_joined(const struct pidinfo *p);
bool comm_is_irq(u32 comm);

/* ---- model.c: the set of pids, when only their number is wanted ------- */

struct pidset {
	u64 *bits;	/* pids below 4M (PID_MAX_LIMIT), one bit each */
	size_t nwords;
	struct hmap other;	/* the rest (negative or huge) */
};

void pidset_init(struct pidset *ps);
void pidset_add(struct pidset *ps, s64 pid);
size_t pidset_count(const struct pidset *ps);

#endif /* KMAPTOOL_H */
