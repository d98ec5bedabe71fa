/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmaptool: analysis of Memorizer kmaps (see kmaptool.1).
 *
 * Everything is built around one streaming reader (src.c, parse.c, pool.c,
 * input.c) that hands each object and each access to a "consumer" (one per
 * subcommand), so that no subcommand ever holds the input in memory.  The
 * layers are listed in util.h.
 */
#ifndef KMAPTOOL_H
#define KMAPTOOL_H

#include "input.h"

/* ---- symbols.c -------------------------------------------------------- */

void syms_load(const char *path);
void syms_free(void);
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
int cmd_metrics(int argc, char **argv);
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

/*
 * An unlinked temporary file ($TMPDIR or /tmp, named after cmd) for
 * records kept until the end of the input; errors are fatal.  spill_get()
 * returns false at the end of the records.
 */
FILE *spill_open(const char *cmd);
void spill_put(FILE *f, const void *rec, size_t size);
void spill_rewind(FILE *f);
bool spill_get(FILE *f, void *rec, size_t size);

/* ---- model.c: the OSmosis model of a kmap --------------------------- */

/*
 * The mapping (Documentation/dev-tools/memorizer.rst, kmaptool.1): every
 * kernel object is an MO resource; it is a SUBSET of the resource space of
 * the allocator it came from; the kernel is one PD, PD_KERNEL, which HOLDs
 * every space; spaces MAP the spaces they draw their memory from; a process
 * (a pid) HOLDs what it allocated and what it accessed, and REQUESTs (MO)
 * from the kernel, the owner of the spaces its objects live in.
 */
#define MO_PAGE_BITS	12

enum space_kind {
	SP_CACHE,	/* a slab cache */
	SP_PAGES,	/* the page allocator */
	SP_VMALLOC,
	SP_MEMBLOCK,	/* memblock and bootmem */
	SP_GLOBALS,	/* kernel globals */
	SP_CATCHALL,	/* a per-type catch-all: memory no object covers */
	SP_TYPE,	/* any other allocator, by alloc_type */
	SP_UNKNOWN,	/* objects known from an accesses file only */
};

struct space {
	enum space_kind kind;
	u32 name;	/* interned cache or type name; 0 for the singletons */
	int map;	/* index of the space it draws from, or -1 */
	char *id;	/* NODE_ID, as a CSV field */
	size_t idlen;
	char *json;	/* EXTRA: the JSON object, as a CSV field */
	size_t jsonlen;
};

#define SPACE_CACHE 256

struct spaces {
	struct space *v;
	size_t n, cap;
	struct hmap h;	/* (kind, name) -> index */
	struct {	/* (type, slab, catch-all) -> index, direct-mapped */
		u32 type, slab, idx, used;
	} cache[SPACE_CACHE];
};

void spaces_init(struct spaces *ss);
void spaces_free(struct spaces *ss);
/* Adds the spaces of from that ss lacks, after its own. */
void spaces_merge(struct spaces *ss, const struct spaces *from);
/* The index of o's space, created (with the spaces it maps) when new. */
u32 space_of(struct spaces *ss, const struct kobj *o);
/*
 * Asked per object and per edge by several subcommands: inline.
 * A catch-all: va and alloc_ip are the same type number.
 */
static inline bool obj_is_catchall(const struct kobj *o)
{
	return !o->stub && o->va == o->alloc_ip && o->va < NR_ALLOC_TYPES;
}

/* Its pid allocated it (not a catch-all, not known from accesses only). */
static inline bool obj_has_owner(const struct kobj *o)
{
	return !o->stub && !obj_is_catchall(o);
}

/* The 4 KiB pages [va, va + size) spans: an MO's page count. */
static inline u64 obj_pages(const struct kobj *o)
{
	u64 last;

	if (!o->size)
		return 0;
	last = o->va + (o->size - 1);
	if (last < o->va)	/* wraps: up to the top of the address space */
		last = UINT64_MAX;
	return (last >> MO_PAGE_BITS) - (o->va >> MO_PAGE_BITS) + 1;
}
/* Kind names in EXTRA: "cache", "pages"... */
const char *space_kind_name(enum space_kind k);

/* ---- model.c: PDs ---------------------------------------------------- */

/*
 * A PD is a pid, except that the access lines of access_pid -2 (the
 * kernel's aggregate of the exited tasks of one command) belong to the PD
 * "exited:COMMAND" of their command: one per command, apart from every pid
 * (an object line's pid -2 included).  Where a PD is named by (pid,
 * exited), exited is 0 for a pid's PD, else 1 + the command's interned id
 * (and pid is -2).
 */
static inline u32 acc_exited(const struct kacc *a)
{
	return a->pid == PID_EXITED ? a->comm + 1 : 0;
}

/* PDs in order: pids ascending, then exited ones by command (byte order). */
int pd_cmp(s64 pid_a, u32 exited_a, s64 pid_b, u32 exited_b);
/* "exited:COMMAND" (malloc'd). */
char *pd_exited_name(u32 exited);

/* ---- model.c: (object, PD) access edges ------------------------------- */

struct edge {
	u64 seq;	/* object */
	s64 pid;
	u32 exited;	/* with pid, the PD (see acc_exited()) */
	u64 reads;
	u64 writes;
	/* Copied from the object so that ungrouped flushes need no table. */
	u64 va;
	u64 alloc_index;
	u64 size;
	u64 alloc_ip;
	s64 alloc_pid;
	bool owned;	/* obj_has_owner(): alloc_pid allocated the object */
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
/* The edge of (object seq, PD), or NULL. */
struct edge *edges_find(struct edgeset *es, u64 seq, s64 pid, u32 exited);

/* The accesses of the object's allocator: its HOLD is counted with it. */
static inline bool edge_is_allocators(const struct edge *e)
{
	return e->owned && !e->exited && e->pid == e->alloc_pid;
}
void edges_reset(struct edgeset *es);
void edges_free(struct edgeset *es);

/* ---- model.c: what is known about each PD ----------------------------- */

struct pidinfo {
	s64 pid;
	u32 exited;	/* with pid, the PD */
	u32 *comms;	/* process-context commands, first seen first */
	u32 ncomms, capcomms;
	u32 idx;	/* position in pids_sorted() */
};

void pids_init(void);
void pids_free(void);
/*
 * Records the PD, and comm unless it is 0 or an interrupt-context label;
 * an exited PD's command is its comm.
 */
struct pidinfo *pids_note(s64 pid, u32 exited, u32 comm);
struct pidinfo *pids_find(s64 pid, u32 exited);
bool pid_has_comm(const struct pidinfo *p, u32 comm);
/* All PDs, in pd_cmp() order; *n is set to the count. */
struct pidinfo **pids_sorted(size_t *n);
/* The commands joined with '|' (malloc'd). */
char *pid_comms_joined(const struct pidinfo *p);
bool comm_is_irq(u32 comm);

/* ---- model.c: the set of PDs, when only their number is wanted -------- */

struct pidset {
	u64 *bits;	/* pids below 4M (PID_MAX_LIMIT), one bit each */
	size_t nwords;
	struct hmap other;	/* the rest (negative or huge pids, exited) */
};

/* pids below this have a bit (PID_MAX_LIMIT) */
#define PIDSET_DENSE	(1u << 22)

void pidset_init(struct pidset *ps);
void pidset_add_slow(struct pidset *ps, s64 pid, u32 exited);
/* Once per object and per edge: a pid whose bit has its word, inline. */
static inline void pidset_add(struct pidset *ps, s64 pid, u32 exited)
{
	u64 p = (u64)pid;

	if (!exited && p < PIDSET_DENSE && p / 64 < ps->nwords) {
		ps->bits[p / 64] |= 1ull << (p % 64);
		return;
	}
	pidset_add_slow(ps, pid, exited);
}
size_t pidset_count(const struct pidset *ps);
/* Adds the pids of from to ps. */
void pidset_merge(struct pidset *ps, const struct pidset *from);
void pidset_free(struct pidset *ps);

#endif /* KMAPTOOL_H */
