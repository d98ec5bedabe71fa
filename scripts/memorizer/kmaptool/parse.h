/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lines to records (parse.c): the records a subcommand consumes, the
 * consumer interface, the line decoders, delivery in order, and the object
 * table that joins accesses rows to allocations rows.  Uses util and src.
 */
#ifndef KMAPTOOL_PARSE_H
#define KMAPTOOL_PARSE_H

#include <string.h>

#include "src.h"

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

/*
 * The access_pid of the kernel's aggregate of one command's exited tasks:
 * such a line or row carries the command too (kmap: a 5th field, everything
 * after the 4th comma; accesses file: the access_command column).
 */
#define PID_EXITED	(-2)

/* One access line (kmap) or accesses row. */
struct kacc {
	u64 ip;
	u64 writes;
	u64 reads;
	s64 pid;
	const char *line;	/* as for kobj.line */
	size_t linelen;
	u32 comm;	/* interned command: access_pid -2 only, else 0 */
};

/*
 * What a subcommand does with the stream.  For a kmap, obj() is followed by
 * the object's acc() calls and then end(): "grouped".  For allocations plus
 * accesses CSV files the accesses come after all objects, so acc() calls for
 * different objects interleave and end() comes at the very end: consumers
 * that aggregate per object check c->grouped.
 */
struct sink;

struct consumer {
	void (*obj)(void *ctx, struct kobj *o);
	void (*acc)(void *ctx, struct kobj *o, const struct kacc *a);
	void (*end)(void *ctx, struct kobj *o);
	void (*finish)(void *ctx);
	void *ctx;
	/*
	 * Optional, for consumers whose result is a sum (summary): fork()
	 * makes an empty context that another thread feeds with whole objects
	 * of its own, join() adds it into ctx and frees it.  Objects then
	 * arrive in no overall order, and their seq only orders them.
	 */
	void *(*fork)(void *ctx);
	void (*join)(void *ctx, void *part);
	/*
	 * Optional: parse_region() for lines delivered at once to this
	 * consumer (k->d), with the consumer's hot path inline.  It must
	 * deliver exactly what parse_region() would, and leave every line it
	 * does not decode itself to parse_line().
	 */
	void (*region)(struct sink *k, char *p, char *end);
	bool need_kmap;	/* refuse CSV input (filter) */
	bool grouped;	/* set by the reader */
};

struct read_opts {
	bool lenient;
};

/*
 * Records from the parser to the consumer.  In a kmap the parser only says
 * "object" and "access"; which object an access belongs to, the per-object
 * totals, sequence numbers and the end() call are worked out on the
 * consumer's side (deliver()), so that parsing can run in other threads.
 */
enum rec_kind { R_OBJ, R_ACC, R_EOF };

/*
 * Records are packed with only their used part: an object record stops at
 * KOBJ_PARSED, which halves the bytes that cross between CPUs.
 */
struct rec {
	u64 kind;
	union {
		struct kobj o;
		struct kacc a;
	};
};

static inline size_t rec_size(u64 kind)
{
	if (kind == R_OBJ)
		return offsetof(struct rec, o) + KOBJ_PARSED;
	if (kind == R_ACC)
		return offsetof(struct rec, a) + sizeof(struct kacc);
	return offsetof(struct rec, o);
}

struct delivery {
	struct consumer *c;
	struct kobj cur;
	bool have;
	bool own_seq;	/* number objects from seq, not parse_seq() */
	u64 seq;
};

/* Hands one record to the consumer, in file order. */
void deliver(struct delivery *d, struct rec *r);

/* deliver() of an access, the most frequent record: inline where it is hot. */
static inline void deliver_acc(struct delivery *d, const struct kacc *a)
{
	d->cur.reads += a->reads;
	d->cur.writes += a->writes;
	d->cur.naccess++;
	d->c->acc(d->c->ctx, &d->cur, a);
}

/* Where parsed lines go, and the parser's state over a run of lines. */
struct sink {
	struct delivery *d;	/* deliver at once; NULL: pack into buf */
	struct src *s;		/* with d: release input as it is consumed */
	char *buf;
	size_t n, cap;
	struct rec tmp;
	bool have;		/* an object line was seen: accesses are fine */
	bool orphans;		/* the last object line was skipped */
	u64 lines;		/* lines parsed so far */
	u64 nbad, norphan;	/* --lenient counts */
	bool failed;		/* a malformed line, not --lenient */
	u64 errline;		/* ...on this line (a count like lines) */
	char err[512];		/* "expected ..." */
};

void parse_init(const struct read_opts *ro);
/* Parses the whole lines in [p, end) (SRC_PAD readable bytes after end). */
void parse_region(struct sink *k, char *p, char *end);
/*
 * The same for the one line at p, for a consumer's own loop (its region()):
 * the next line, or NULL when a malformed line ends the run (k->failed).
 */
char *parse_line(struct sink *k, char *p);
/*
 * An object line as the kernel prints it, at p, parsed into o and counted:
 * the next line.  NULL for anything else, untouched: parse_line() takes it.
 */
char *parse_obj_line(struct sink *k, char *p, struct kobj *o);
__attribute__((noreturn))
void parse_fail(struct src *s, u64 line, const char *what);
void parse_count(u64 nbad, u64 norphan);
void parse_report(void);
/* Frees this thread's parser state (its string cache). */
void parse_thread_exit(void);
/* The next object sequence number. */
u64 parse_seq(void);

/*
 * deliver() of an object whose parsed fields are o, after the consumer's
 * end() of the one before: o becomes the current object, numbered, its
 * totals zero; the consumer's obj() is next.
 */
static inline struct kobj *deliver_obj(struct delivery *d, const struct kobj *o)
{
	memcpy(&d->cur, o, KOBJ_PARSED);
	d->cur.seq = d->own_seq ? d->seq++ : parse_seq();
	d->cur.reads = d->cur.writes = d->cur.naccess = 0;
	d->cur.stub = false;
	d->have = true;
	return &d->cur;
}

/*
 * Reserves n blocks of 2^32 sequence numbers after those given so far, for
 * chunks numbered apart (pool.c); returns the first.
 */
u64 parse_seq_blocks(u64 n);
#define SEQ_BLOCK_BITS 32
/* A kmap in one thread, delivered as it is parsed. */
void parse_kmap_serial(struct src *s, struct consumer *c);

/* CSV files; with table, objects wait in the object table for accesses. */
void parse_allocs(struct src *s, struct consumer *c, bool table);
void parse_accesses(struct src *s, struct consumer *c);
void table_init(void);
/* end() for every object in the table, in input order; then forgets them. */
void table_end_all(struct consumer *c);

/* The interned id of an alloc_type given by name or number. */
u32 alloc_type_id(const char *s);

#endif /* KMAPTOOL_PARSE_H */
