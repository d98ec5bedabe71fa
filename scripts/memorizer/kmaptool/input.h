/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private interface between src.c (bytes in), parse.c (lines to records)
 * and input.c (which files, in which order, joined how).
 */
#ifndef KMAPTOOL_INPUT_H
#define KMAPTOOL_INPUT_H

#include "kmaptool.h"

/*
 * Readable bytes guaranteed after every chunk, so that the line parser can
 * load 8 bytes at a time without checking for the end.
 */
#define SRC_PAD 64

enum src_kind { K_KMAP, K_ALLOCS, K_ACCESSES };

struct src {
	const char *name;
	int fd;
	/* mmap'd regular file */
	char *map;
	size_t mapsize, mappos, released;
	int mapstage;
	/* read(2) buffer (pipes), and the padded tail of a mapping */
	char *buf;
	size_t cap, pos, fill;
	bool eof;
	u64 lineno;	/* lines handed out so far */
	enum src_kind kind;
	u32 ncols;	/* columns named by a CSV header */
};

void src_open(struct src *s, const char *path);
void src_close(struct src *s);
/* The mapped input below p will not be read again: let the kernel drop it. */
void src_release(struct src *s, const char *p);
/*
 * The next run of whole lines [*p, *end): every line ends in '\n' (one is
 * added to a last line without it) and SRC_PAD readable bytes follow *end.
 * Returns false at end of input.
 */
bool src_next(struct src *s, char **p, char **end);
/* The first line, without consuming it; false if the input is empty. */
bool src_first_line(struct src *s, const char **line, size_t *len);

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
};

void deliver(struct delivery *d, struct rec *r);

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

/* parse.c */
void parse_region(struct sink *k, char *p, char *end);
void parse_fail(struct src *s, u64 line, const char *what);
void parse_count(u64 nbad, u64 norphan);

/* pool.c */
bool pool_wanted(void);
/* Parses a mapped kmap in chunks on every CPU, delivering in order to c. */
void pool_run(struct src *s, struct consumer *c);

/* parse.c */
void parse_init(const struct read_opts *ro);
void parse_kmap(struct src *s, struct consumer *c);
void parse_allocs(struct src *s, struct consumer *c, bool table);
void parse_accesses(struct src *s, struct consumer *c);
void parse_report(void);
/* The next object sequence number. */
u64 parse_seq(void);

/* input.c: the object table that joins accesses rows to allocations rows */
void table_add(const struct kobj *o);
struct kobj *table_find_or_stub(u64 va, u64 alloc_index, struct consumer *c);

#endif /* KMAPTOOL_INPUT_H */
