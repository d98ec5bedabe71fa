/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bottom layer of kmaptool (util.c): types, allocation, errors,
 * interned strings, the hash table, number parsing and output helpers.
 * It depends on libc only; every other file may use it.
 *
 * Layers, each using only those below it:
 *   util  <  src  <  parse  <  pool  <  input  <  symbols, model
 *         <  common  <  cmd_*  <  main
 * (tests/run.sh checks this on the object files.)
 */
#ifndef KMAPTOOL_UTIL_H
#define KMAPTOOL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef uint64_t u64;
typedef int64_t s64;
typedef uint32_t u32;
typedef uint16_t u16;

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

/*
 * Most calls find the room there already (one per edge, per object...):
 * that check is inline, the call only made to grow.
 */
static inline void grow_to(void **v, size_t *cap, size_t need, size_t sz)
{
	if (__builtin_expect(need > *cap, 0))
		grow(v, cap, need, sz);
}
#define GROW(v, cap, need) grow_to((void **)&(v), &(cap), (need), sizeof(*(v)))

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
/* Walks the entries: *iter starts at 0; false at the end. */
bool hmap_next(const struct hmap *h, u32 *iter, u64 *a, u64 *b, u32 *val);
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

/* ---- numbers ---------------------------------------------------------- */

/* value of a hex digit, -1 for anything else */
extern signed char hexval[256];

/* Number parsers shared by the readers and the option code (no 0x: decimal). */
bool parse_hex(const char *s, size_t n, u64 *v);
bool parse_udec(const char *s, size_t n, u64 *v);
bool parse_sdec(const char *s, size_t n, s64 *v);

/* ---- JSON --------------------------------------------------------------- */

/* The most bytes json_escape() writes for len bytes. */
#define JSON_ESCAPED_MAX(len) (6 * (len) + 2)
/* s as a JSON string, quotes included, into dst; returns its length. */
size_t json_escape(char *dst, const char *s, size_t len);
void json_str(FILE *f, const char *s, size_t len);

/* ---- fast output: a buffer written with write(2) ----------------------- */

/*
 * A full buffer goes to a writer thread (util.c) while the next one fills:
 * copying hundreds of MB into the page cache costs about as much as
 * formatting them, and the two then overlap.  One buffer per obuf is at
 * the writer at a time, so each file's bytes keep their order.
 */
struct obuf {
	int fd;
	const char *path;
	char *b;
	size_t n, cap;
	/* with the writer (under its lock) */
	char *wb;		/* being written, or NULL */
	size_t wn;
	char *spare;		/* written: the next b */
	struct obuf *wnext;	/* queue of buffers to write */
};

void ob_open(struct obuf *o, const char *path);	/* "-": stdout */
void ob_flush(struct obuf *o);
void ob_close(struct obuf *o);
void ob_mem_slow(struct obuf *o, const void *s, size_t n);

/* Room for n more bytes at o->b + o->n (n well under the buffer size). */
static inline char *ob_room(struct obuf *o, size_t n)
{
	if (o->cap - o->n < n)
		ob_flush(o);
	return o->b + o->n;
}

static inline void ob_done(struct obuf *o, char *end)
{
	o->n = (size_t)(end - o->b);
}

static inline void ob_mem(struct obuf *o, const void *s, size_t n)
{
	if (o->cap - o->n < n) {
		ob_mem_slow(o, s, n);
		return;
	}
	__builtin_memcpy(o->b + o->n, s, n);
	o->n += n;
}

/*
 * Decimal and hex (no 0x) at p; return the end.  They store at most 20
 * bytes from p (fmt_hex() 16, past the digits too).
 */
char *fmt_u64(char *p, u64 v);
char *fmt_s64(char *p, s64 v);
char *fmt_hex(char *p, u64 v);

#endif /* KMAPTOOL_UTIL_H */
