// SPDX-License-Identifier: GPL-2.0
/*
 * Lines to records: kmap object and access lines, allocations and accesses
 * CSV rows.
 *
 * Two decoders per kmap line.  The fast one handles the form the kernel
 * prints (11 or 4 fields, plain numbers; or access_pid -2 and the command
 * of the exited tasks the line aggregates) 8 bytes at a time without a
 * branch per character: on a multi-GB kmap, per-character loops and
 * strtoull() would be most of the run time.  Anything it does not accept goes to the
 * general decoder, which accepts every form kmap-format.md allows and is
 * the one that words the error messages.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "scan.h"

#define MAXF 64

/* ---- errors ------------------------------------------------------------ */

/* Parsing may run in several threads: what they write is their own. */
static const struct read_opts *ropts;
static u64 nbad, norphan, next_seq;
static __thread char errmsg[512];

u64 parse_seq(void)
{
	return next_seq++;
}

u64 parse_seq_blocks(u64 n)
{
	u64 first = (next_seq + (1ull << SEQ_BLOCK_BITS) - 1) >> SEQ_BLOCK_BITS;

	next_seq = (first + n) << SEQ_BLOCK_BITS;
	return first << SEQ_BLOCK_BITS;
}

__attribute__((format(printf, 1, 2)))
static bool bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	return false;
}

/*
 * Called with errmsg set for line k->lines: counts the line under
 * --lenient, else marks the sink failed, which stops the parsing; whoever
 * delivers the records up to there then reports (parse_fail()).
 */
static void reject(struct sink *k)
{
	if (ropts->lenient) {
		k->nbad++;
		return;
	}
	k->failed = true;
	k->errline = k->lines;
	snprintf(k->err, sizeof(k->err), "%s", errmsg);
}

void parse_fail(struct src *s, u64 line, const char *what)
{
	fflush(stdout);
	fprintf(stderr, KT_NAME ": %s:%llu: expected %s\n", s->name,
		(unsigned long long)line, what);
	exit(EXIT_DATA);
}

void parse_count(u64 bad_lines, u64 orphan_lines)
{
	nbad += bad_lines;
	norphan += orphan_lines;
}

/* The offending text, made printable and cut short, for messages. */
static const char *shown(const char *p, size_t n)
{
	static __thread char b[4][48];
	static __thread int k;
	char *o = b[k++ & 3];
	size_t i, m = n > 32 ? 32 : n;

	for (i = 0; i < m; i++)
		o[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
	if (m < n) {
		memcpy(o + m, "...", 3);
		m += 3;
	}
	o[m] = '\0';
	return o;
}

void parse_init(const struct read_opts *ro)
{
	ropts = ro;
}

void parse_report(void)
{
	if (!nbad && !norphan)
		return;
	fflush(stdout);
	fprintf(stderr, KT_NAME ": --lenient: skipped %llu lines "
		"(%llu malformed, %llu access lines of skipped objects)\n",
		(unsigned long long)(nbad + norphan), (unsigned long long)nbad,
		(unsigned long long)norphan);
}

/* ---- general decoder --------------------------------------------------- */

struct fld {
	const char *p;
	size_t n;
};

/* kmap lines: plain commas, no quoting (the kernel prints comm raw). */
static int split_plain(const char *s, size_t len, struct fld *f)
{
	const char *e = s + len, *c;
	int nf = 0;

	for (;;) {
		c = memchr(s, ',', (size_t)(e - s));
		if (nf < MAXF) {
			f[nf].p = s;
			f[nf].n = (size_t)((c ? c : e) - s);
		}
		nf++;
		if (!c)
			return nf;
		s = c + 1;
	}
}

/* CSV rows: as kmap lines, plus RFC 4180 quoted fields, unquoted in place. */
static int split_csv(char *s, size_t len, struct fld *f)
{
	char *e = s + len;
	int nf = 0;

	for (;;) {
		char *start = s, *o;

		if (s < e && *s == '"') {
			o = start;
			s++;
			for (;;) {
				if (s == e)
					return bad("a closing '\"' in a quoted field"), -1;
				if (*s == '"') {
					if (s + 1 < e && s[1] == '"') {
						*o++ = '"';
						s += 2;
						continue;
					}
					s++;
					break;
				}
				*o++ = *s++;
			}
			if (s < e && *s != ',')
				return bad("',' after a quoted field"), -1;
		} else {
			while (s < e && *s != ',')
				s++;
			o = s;
		}
		if (nf < MAXF) {
			f[nf].p = start;
			f[nf].n = (size_t)(o - start);
		}
		nf++;
		if (s == e)
			return nf;
		s++;
	}
}

#define HEX(i, name, dst)						\
	do {								\
		if (!parse_hex(f[i].p, f[i].n, dst))			\
			return bad("hexadecimal " name ", found '%s'",	\
				   shown(f[i].p, f[i].n));		\
	} while (0)
#define UDEC(i, name, dst)						\
	do {								\
		if (!parse_udec(f[i].p, f[i].n, dst))			\
			return bad("unsigned decimal " name ", found '%s'", \
				   shown(f[i].p, f[i].n));		\
	} while (0)
#define SDEC(i, name, dst)						\
	do {								\
		if (!parse_sdec(f[i].p, f[i].n, dst))			\
			return bad("decimal " name ", found '%s'",	\
				   shown(f[i].p, f[i].n));		\
	} while (0)

/*
 * Interning, the other hot spot.  Strings of up to 16 bytes (nearly all
 * types, caches and commands) are keyed by two masked 8-byte loads, which
 * the padding after every chunk makes safe: no byte loop, no memcmp(), and
 * no branch on the length or the bytes but the one that says whether a
 * slot matches.  Consecutive lines seldom repeat all their strings, so a
 * memory of the last value per field would mispredict more often than it
 * saved a lookup in this small table, which stays in the L1 cache.
 */
struct skey {
	u64 w0, w1;
};

struct sslot {
	u64 w0, w1;
	u32 len1;	/* length + 1, + SLOT_TYPE for a type; 0: empty */
	u32 id;
};

/* per thread: no locking on the hot path */
static __thread struct sslot *stab;
static __thread u32 stab_mask, stab_n;

/* The low n bytes of a u64, for n up to 8. */
static const u64 lomask[9] = {
	0, 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffffull,
	0xffffffffffffull, 0xffffffffffffffull, ~0ull,
};

/* The key of the n <= 16 bytes at p. */
static inline struct skey skey(const char *p, size_t n)
{
	struct skey k = {
		ld8(p) & lomask[n < 8 ? n : 8],
		ld8(p + 8) & lomask[n > 8 ? n - 8 : 0],
	};

	return k;
}

/*
 * From the high half of the products, which every byte of the key reaches
 * (cache names often share their first bytes: kmalloc-cg-128, -192...).
 */
static inline u32 stab_hash(u64 w0, u64 w1, u32 len1)
{
	return (u32)(((w0 ^ len1) * 0x9e3779b97f4a7c15ull ^
		      w1 * 0xc2b2ae3d27d4eb4full) >> 40);
}

/*
 * The four strings that end an object line (alloc_type, command,
 * slabname, new_alloc_type) repeat together: a few hundred different
 * tails in millions of lines.  A tail this thread has seen, the same bytes
 * up to the newline, gives the four ids with one lookup instead of four.
 */
#define TAIL_WORDS 6	/* tails of up to 48 bytes, the newline included */
_Static_assert(TAIL_WORDS == 6, "tail_key(), tail_eq(), tail_hash(): 48 bytes");

struct tslot {
	u64 w[TAIL_WORDS];
	u32 len;	/* 0: empty */
	u32 id[4];	/* type, comm, slab, new_type */
};

static __thread struct tslot *ttab;
static __thread u32 ttab_mask, ttab_n;

void parse_thread_exit(void)
{
	free(stab);
	stab = NULL;
	stab_mask = stab_n = 0;
	free(ttab);
	ttab = NULL;
	ttab_mask = ttab_n = 0;
}

#if defined(__SSE2__) && !defined(KT_PORTABLE)
#include <emmintrin.h>

/* 48 bytes kept, then 48 dropped: the mask of the first n is at 48 - n. */
static const unsigned char keep48[96] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

/*
 * The key of the tail of len bytes at p (len <= 8 * TAIL_WORDS): three
 * 16-byte loads masked by a sliding window over keep48, not six words
 * each cut by a length test -- once per object line.
 */
static inline void tail_key(const char *p, size_t len, u64 *w)
{
	const unsigned char *m = keep48 + 48 - len;

	for (int i = 0; i < 3; i++)
		_mm_storeu_si128((__m128i *)(w + 2 * i), _mm_and_si128(
			_mm_loadu_si128((const __m128i *)(p + 16 * i)),
			_mm_loadu_si128((const __m128i *)(m + 16 * i))));
}

/* Are the two keys the same bytes?  Three compares, one test. */
static inline bool tail_eq(const u64 *a, const u64 *b)
{
	__m128i e = _mm_set1_epi8(-1);

	for (int i = 0; i < 3; i++)
		e = _mm_and_si128(e, _mm_cmpeq_epi8(
			_mm_loadu_si128((const __m128i *)(a + 2 * i)),
			_mm_loadu_si128((const __m128i *)(b + 2 * i))));
	return _mm_movemask_epi8(e) == 0xffff;
}

#else

/* The key of the tail of len bytes at p (len <= 8 * TAIL_WORDS). */
static inline void tail_key(const char *p, size_t len, u64 *w)
{
	for (int i = 0; i < TAIL_WORDS; i++) {
		size_t have = len > 8 * (size_t)i ? len - 8 * (size_t)i : 0;

		w[i] = ld8(p + 8 * i) & lomask[have < 8 ? have : 8];
	}
}

static inline bool tail_eq(const u64 *a, const u64 *b)
{
	u64 d = 0;

	for (int i = 0; i < TAIL_WORDS; i++)
		d |= a[i] ^ b[i];
	return !d;
}

#endif

/*
 * Two products, not six: the words are folded first, each rotated by its
 * place so that the same 8 bytes elsewhere in the tail hash differently.
 */
static inline u32 tail_hash(const u64 *w, u32 len)
{
	u64 a = w[0] ^ (w[2] << 21 | w[2] >> 43) ^ (w[4] << 42 | w[4] >> 22);
	u64 b = w[1] ^ (w[3] << 21 | w[3] >> 43) ^ (w[5] << 42 | w[5] >> 22);

	return (u32)(((a ^ len) * 0x9e3779b97f4a7c15ull ^
		      b * 0xc2b2ae3d27d4eb4full) >> 40);
}

/* The tail's slot: the one holding it, or the empty one it would take. */
static inline struct tslot *tail_slot(const u64 *w, u32 len)
{
	u32 j = tail_hash(w, len) & ttab_mask;

	for (;; j = (j + 1) & ttab_mask) {
		struct tslot *t = &ttab[j];

		if (!t->len || (t->len == len && tail_eq(t->w, w)))
			return t;
	}
}

static void ttab_grow(void)
{
	struct tslot *old = ttab;
	u32 oldn = ttab ? ttab_mask + 1 : 0, n = oldn ? oldn * 2 : 1024;

	ttab = xcalloc(n, sizeof(*ttab));
	ttab_mask = n - 1;
	for (u32 i = 0; i < oldn; i++)
		if (old[i].len)
			*tail_slot(old[i].w, old[i].len) = old[i];
	free(old);
}

static void stab_grow(void)
{
	struct sslot *old = stab;
	u32 oldn = stab ? stab_mask + 1 : 0, n = oldn ? oldn * 2 : 1024;

	stab = xcalloc(n, sizeof(*stab));
	stab_mask = n - 1;
	for (u32 i = 0; i < oldn; i++) {
		u32 j;

		if (!old[i].len1)
			continue;
		j = stab_hash(old[i].w0, old[i].w1, old[i].len1) & stab_mask;
		while (stab[j].len1)
			j = (j + 1) & stab_mask;
		stab[j] = old[i];
	}
	free(old);
}

/*
 * A string this thread has not seen: interned globally.  An alloc_type
 * field (type) in the number form of kmap-format.md becomes the name.
 */
static u32 intern_slow(const char *p, size_t n, bool type)
{
	u64 v;

	if (type && n && n <= 18 && parse_hex(p, n, &v) && v < NR_ALLOC_TYPES) {
		p = alloc_type_names[v];
		n = strlen(p);
	}
	return str_intern(p, n);
}

/*
 * alloc_type fields have slots of their own: "7" there is KMALLOC, and
 * this thread resolves it once, not at every line.
 */
#define SLOT_TYPE 0x100

/* Intern the n bytes at p; SRC_PAD readable bytes must follow. */
static inline u32 intern_field(const char *p, size_t n, bool type)
{
	u32 len1 = (u32)n + 1 + (type ? SLOT_TYPE : 0), j;
	struct skey k;

	if (!n)
		return 0;	/* new_type, nearly always */
	if (n > 16)
		return intern_slow(p, n, type);
	if ((stab_n + 1) * 2 > stab_mask + 1 || !stab)
		stab_grow();
	k = skey(p, n);
	j = stab_hash(k.w0, k.w1, len1) & stab_mask;
	for (;; j = (j + 1) & stab_mask) {
		struct sslot *e = &stab[j];

		if (!((e->len1 ^ len1) | (e->w0 ^ k.w0) | (e->w1 ^ k.w1)))
			return e->id;
		if (!e->len1) {
			e->w0 = k.w0;
			e->w1 = k.w1;
			e->len1 = len1;
			e->id = intern_slow(p, n, type);
			stab_n++;
			return e->id;
		}
	}
}

u32 alloc_type_id(const char *s)
{
	u64 v;

	if (parse_hex(s, strlen(s), &v) && v < NR_ALLOC_TYPES)
		s = alloc_type_names[v];
	return str_intern(s, strlen(s));
}

/*
 * The 11 object fields.  ncols is the number of columns of this kind of line
 * (11, or more under a CSV header naming extra trailing columns).  The
 * kernel prints comm raw, so a comm containing ',' yields extra fields: the
 * command is everything between the 8 leading and the trailing fields.
 */
static bool decode_obj(struct fld *f, int nf, u32 ncols, const char *what,
		       struct kobj *o)
{
	int tail = (int)ncols - 9, cend;

	if (nf < (int)ncols)
		return bad("%u comma-separated fields (%s), found %d", ncols,
			   what, nf);
	if (nf > MAXF)
		return bad("at most %d comma-separated fields, found %d", MAXF, nf);
	HEX(0, "alloc_ip", &o->alloc_ip);
	SDEC(1, "pid", &o->pid);
	HEX(2, "obj_va_ptr", &o->va);
	UDEC(3, "size", &o->size);
	UDEC(4, "alloc_index", &o->alloc_index);
	UDEC(5, "free_index", &o->free_index);
	HEX(6, "free_ip", &o->free_ip);
	o->type = intern_field(f[7].p, f[7].n, true);
	cend = nf - tail;	/* one past the command's last field */
	o->comm = intern_field(f[8].p, (size_t)(f[cend - 1].p + f[cend - 1].n -
						f[8].p), false);
	o->slab = intern_field(f[cend].p, f[cend].n, false);
	o->new_type = intern_field(f[cend + 1].p, f[cend + 1].n, true);
	return true;
}

/*
 * The four access fields from f[first] on: a kmap access line (first 0)
 * or an accesses row (first 2 and nf 6: the caller checks the field count
 * and reads access_command).  A kmap access line has a 5th field only with
 * access_pid -2: the command of the exited tasks it aggregates, which the
 * kernel prints raw, so everything after the 4th comma, up to end.
 */
static bool decode_acc(struct fld *f, int nf, int first, const char *end,
		       struct kacc *a)
{
	if (nf < first + 4)
		return bad("%d comma-separated fields (an access %s), found %d",
			   first + 4, first ? "row" : "line", nf);
	HEX(first, "access_ip", &a->ip);
	UDEC(first + 1, "write_count", &a->writes);
	UDEC(first + 2, "read_count", &a->reads);
	SDEC(first + 3, "access_pid", &a->pid);
	a->comm = 0;
	if (nf == first + 4)
		return true;
	if (a->pid != PID_EXITED)
		return bad("4 comma-separated fields (an access line: a command "
			   "only after access_pid -2), found %d", nf);
	a->comm = intern_field(f[4].p, (size_t)(end - f[4].p), false);
	return true;
}

/* ---- fast decoder ------------------------------------------------------ */

#define FAST_HEX(dst)							\
	do {								\
		n = hexlen(q);						\
		if (n - 1 > 15 || q[n] != ',')				\
			return NULL;					\
		dst = hexn16(q, n);					\
		q += n + 1;						\
	} while (0)
#define FAST_DEC(dst, term)						\
	do {								\
		n = declen(q);						\
		if (n - 1 > 15 || q[n] != (term))			\
			return NULL;					\
		dst = decn(q, n);					\
		q += n + 1;						\
	} while (0)

/*
 * The rest of an access line after access_pid -2 (a command's exited
 * tasks): the end of the line, or ',' and the command up to it.  Out of
 * line: the loop over ordinary lines stays as it was.
 */
static __attribute__((noinline)) const char *fast_exited(const char *q,
							 struct kacc *a)
{
	size_t l;

	a->pid = PID_EXITED;
	if (*q == ',') {
		l = nlfield(++q);
		a->comm = intern_field(q, l - (l && q[l - 1] == '\r'), false);
		return q + l + 1;
	}
	if (*q == '\r')
		q++;
	if (*q != '\n')
		return NULL;
	a->comm = 0;
	return q + 1;
}

/* An access line as the kernel prints it; NULL: let decode_acc() judge. */
static inline const char *fast_acc(const char *q, struct kacc *a)
{
	unsigned n;
	u64 pid;
#ifdef HAVE_ACC_LINE32
	struct acc_fields f;
	const char *e = acc_line32(q, &f);

	if (e) {	/* nearly every line */
		a->ip = f.ip;
		a->writes = f.writes;
		a->reads = f.reads;
		a->pid = (s64)f.pid;
		a->comm = 0;
		return e;
	}
#endif
	if (q[0] == ' ' && q[1] == ' ' && q[2] != ' ' && q[2] != '\t')
		q += 2;		/* the kernel's indentation */
	else
		while (*q == ' ' || *q == '\t')
			q++;
	FAST_HEX(a->ip);
	FAST_DEC(a->writes, ',');
	FAST_DEC(a->reads, ',');
	n = declen(q);
	if (n - 1 > 15) {
		if (n || q[0] != '-' || q[1] != '2')
			return NULL;
		return fast_exited(q + 2, a);
	}
	pid = decn(q, n);
	q += n;
	if (*q == '\r')
		q++;
	if (*q != '\n')
		return NULL;
	a->pid = (s64)pid;
	a->comm = 0;
	return q + 1;
}

/* An object line with exactly 11 plain fields; NULL: decode_obj() judges. */
static inline const char *fast_obj(const char *q, struct kobj *o)
{
	struct tslot *t = NULL;
	u64 w[TAIL_WORDS];
	const char *tq;
	unsigned n;
	size_t l;
	u64 pid;

	FAST_HEX(o->alloc_ip);
	FAST_DEC(pid, ',');
	FAST_HEX(o->va);
	FAST_DEC(o->size, ',');
	FAST_DEC(o->alloc_index, ',');
	FAST_DEC(o->free_index, ',');
	FAST_HEX(o->free_ip);
	/* a tail seen before: the same ids, and the same end */
	l = nlfield(q) + 1;
	if (l <= 8 * TAIL_WORDS) {
		if ((ttab_n + 1) * 2 > ttab_mask + 1 || !ttab)
			ttab_grow();
		tail_key(q, l, w);
		t = tail_slot(w, (u32)l);
		if (t->len) {
			o->type = t->id[0];
			o->comm = t->id[1];
			o->slab = t->id[2];
			o->new_type = t->id[3];
			o->pid = (s64)pid;
			return q + l;
		}
	}
	tq = q;
	l = strfield(q);
	if (q[l] != ',')
		return NULL;
	o->type = intern_field(q, l, true);
	q += l + 1;
	l = strfield(q);
	if (q[l] != ',')
		return NULL;
	o->comm = intern_field(q, l, false);
	q += l + 1;
	l = strfield(q);
	if (q[l] != ',')
		return NULL;
	o->slab = intern_field(q, l, false);
	q += l + 1;
	l = strfield(q);
	if (q[l] != '\n')
		return NULL;	/* more fields: a ',' in comm, or garbage */
	if (l && q[l - 1] == '\r')
		l--;
	o->new_type = intern_field(q, l, true);
	o->pid = (s64)pid;
	q += l;
	q += (*q == '\r') + 1;
	if (t) {	/* the tail, valid: remembered */
		memcpy(t->w, w, sizeof(t->w));
		t->len = (u32)(q - tq);
		t->id[0] = o->type;
		t->id[1] = o->comm;
		t->id[2] = o->slab;
		t->id[3] = o->new_type;
		ttab_n++;
	}
	return q;
}

/* ---- delivery -------------------------------------------------------- */

void deliver(struct delivery *d, struct rec *r)
{
	struct consumer *c = d->c;

	switch (r->kind) {
	case R_OBJ:
		if (d->have)
			c->end(c->ctx, &d->cur);
		c->obj(c->ctx, deliver_obj(d, &r->o));
		break;
	case R_ACC:
		deliver_acc(d, &r->a);
		break;
	case R_EOF:
		if (d->have)
			c->end(c->ctx, &d->cur);
		d->have = false;
		break;
	}
}

/* ---- kmap -------------------------------------------------------------- */

static inline size_t line_len(const char *p)
{
	const char *nl = rawmemchr(p, '\n');
	size_t n = (size_t)(nl - p);

	return n && p[n - 1] == '\r' ? n - 1 : n;
}

/* Where the next record goes. */
static inline struct rec *rec_slot(struct sink *k)
{
	if (k->d)
		return &k->tmp;
	if (k->cap - k->n < sizeof(struct rec)) {
		k->cap = k->cap ? k->cap * 2 : 1 << 20;
		k->buf = xrealloc(k->buf, k->cap);
	}
	return (struct rec *)(k->buf + k->n);
}

static inline void rec_commit(struct sink *k, struct rec *r)
{
	if (!k->d)
		k->n += rec_size(r->kind);
	else if (r->kind == R_ACC)
		deliver_acc(k->d, &r->a);
	else
		deliver(k->d, r);
}

/*
 * Parses the line at p (SRC_PAD readable bytes after its end) into a record
 * for k.  Returns the next line, or NULL after a malformed line that ends
 * the run (k->failed).
 */
static inline __attribute__((always_inline)) char *one_line(struct sink *k, char *p)
{
	struct rec *r = rec_slot(k);
	struct fld f[MAXF];
	const char *next;
	size_t len, i;
	int nf;

	k->lines++;
	if (k->s && !(k->lines & 0xffff))
		src_release(k->s, p);	/* all before p is delivered */
	if (*p == ' ' || *p == '\t') {
		r->kind = R_ACC;
		if (k->have) {
			next = fast_acc(p, &r->a);
			if (next) {
				len = (size_t)(next - p) - 1;
				goto acc;
			}
		}
		len = line_len(p);
		next = p + (p[len] == '\r') + len + 1;
		for (i = 0; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
			;
		if (i == len)
			goto skip;	/* blank line */
		if (!k->have) {
			if (k->orphans) {
				k->norphan++;
				goto skip;
			}
			bad("an object line before the first access line");
			goto reject;
		}
		nf = split_plain(p + i, len - i, f);
		if (!decode_acc(f, nf, 0, p + len, &r->a))
			goto reject;
acc:
		if (len && p[len - 1] == '\r')
			len--;
		r->a.line = p;
		r->a.linelen = len;
		rec_commit(k, r);
		goto skip;
	}
	if (*p == '\n' || (*p == '\r' && p[1] == '\n'))
		return p + 1 + (*p == '\r');	/* blank line */
	k->have = false;
	r->kind = R_OBJ;
	next = fast_obj(p, &r->o);
	if (next) {
		len = (size_t)(next - p) - 1;
		if (len && p[len - 1] == '\r')
			len--;
	} else {
		len = line_len(p);
		next = p + (p[len] == '\r') + len + 1;
		nf = split_plain(p, len, f);
		if (!decode_obj(f, nf, 11, "an object line", &r->o)) {
			k->orphans = true;	/* its accesses have no object */
			goto reject;
		}
	}
	k->orphans = false;
	r->o.line = p;
	r->o.linelen = len;
	k->have = true;
	rec_commit(k, r);
	goto skip;
reject:
	reject(k);
	if (k->failed)
		return NULL;
skip:
	return (char *)next;
}

/*
 * Parses the whole lines in [p, end) (SRC_PAD readable bytes after end)
 * into records for k, until the end or the first malformed line.
 */
void parse_region(struct sink *k, char *p, char *end)
{
	if (k->d && k->d->c->region) {
		k->d->c->region(k, p, end);
		return;
	}
	while (p < end && (p = one_line(k, p)))
		;
}

char *parse_line(struct sink *k, char *p)
{
	return one_line(k, p);
}

char *parse_obj_line(struct sink *k, char *p, struct kobj *o)
{
	const char *next;
	size_t len;

	if (*p == ' ' || *p == '\t' || !(next = fast_obj(p, o)))
		return NULL;
	k->lines++;
	if (k->s && !(k->lines & 0xffff))
		src_release(k->s, p);
	len = (size_t)(next - p) - 1;
	if (len && p[len - 1] == '\r')
		len--;
	o->line = p;
	o->linelen = len;
	k->orphans = false;
	k->have = true;
	return (char *)next;
}

void parse_kmap_serial(struct src *s, struct consumer *c)
{
	struct delivery d = { .c = c };
	struct sink k = { .d = &d, .s = s };
	struct rec eof = { .kind = R_EOF };
	char *p, *end;

	while (!k.failed && src_next(s, &p, &end))
		parse_region(&k, p, end);
	parse_count(k.nbad, k.norphan);
	if (k.failed)
		parse_fail(s, k.errline, k.err);
	deliver(&d, &eof);
}

/* ---- object table ------------------------------------------------------ */

static struct kobj *objs;
static size_t nobjs, capobjs;
static struct hmap objmap;

static void table_add(const struct kobj *o)
{
	bool isnew;
	u32 *v = hmap_put(&objmap, o->va, o->alloc_index, &isnew);

	GROW(objs, capobjs, nobjs + 1);
	objs[nobjs] = *o;
	objs[nobjs].line = NULL;
	*v = (u32)nobjs++;
}

static struct kobj *table_find_or_stub(u64 va, u64 alloc_index, struct consumer *c)
{
	bool isnew;
	u32 *v = hmap_put(&objmap, va, alloc_index, &isnew);
	struct kobj *o;

	if (!isnew)
		return &objs[*v];
	/* An access to an object no allocations file named. */
	GROW(objs, capobjs, nobjs + 1);
	o = &objs[nobjs];
	memset(o, 0, sizeof(*o));
	o->va = va;
	o->alloc_index = alloc_index;
	o->seq = parse_seq();
	o->stub = true;
	*v = (u32)nobjs++;
	c->obj(c->ctx, o);
	return o;
}

void table_init(void)
{
	hmap_init(&objmap, 1024);
}

void table_end_all(struct consumer *c)
{
	for (size_t i = 0; i < nobjs; i++)
		c->end(c->ctx, &objs[i]);
	free(objs);
	objs = NULL;
	nobjs = capobjs = 0;
	hmap_free(&objmap);
}

/* ---- CSV files --------------------------------------------------------- */

/* Rows of a CSV file one at a time, the header and blank lines skipped. */
struct rows {
	struct src *s;
	char *p, *end;
};

static bool next_row(struct rows *r, char **line, size_t *len)
{
	char *nl;

	for (;;) {
		if (r->p >= r->end) {
			if (!src_next(r->s, &r->p, &r->end))
				return false;
			continue;
		}
		nl = rawmemchr(r->p, '\n');
		*line = r->p;
		*len = (size_t)(nl - r->p);
		if (*len && nl[-1] == '\r')
			(*len)--;
		r->p = nl + 1;
		if (!(++r->s->lineno & 0xffff))
			src_release(r->s, *line);
		if (r->s->lineno > 1 && *len)
			return true;
	}
}

void parse_allocs(struct src *s, struct consumer *c, bool table)
{
	struct rows r = { .s = s };
	struct sink k = { 0 };
	struct fld f[MAXF];
	struct kobj o;
	char *line;
	size_t len;

	memset(&o, 0, sizeof(o));
	while (next_row(&r, &line, &len)) {
		int nf = split_csv(line, len, f);

		k.lines = s->lineno;
		if (nf < 0 || !decode_obj(f, nf, s->ncols, "an allocations row", &o)) {
			reject(&k);
			if (k.failed)
				break;
			continue;
		}
		o.reads = o.writes = o.naccess = 0;
		o.stub = false;
		o.seq = parse_seq();
		c->obj(c->ctx, &o);
		if (table)
			table_add(&o);
		else
			c->end(c->ctx, &o);
	}
	parse_count(k.nbad, 0);
	if (k.failed)
		parse_fail(s, k.errline, k.err);
}

/*
 * The access_command column (the 7th) of an accesses row of nf fields
 * under a header of ncols columns: the kernel prints the command raw, so
 * it is every field between the 6 leading and the columns after it.
 * Blank unless access_pid is -2.
 */
static bool access_command(struct fld *f, int nf, u32 ncols, struct kacc *a)
{
	int cend = nf - ((int)ncols - 7);	/* one past its last field */
	size_t n = (size_t)(f[cend - 1].p + f[cend - 1].n - f[6].p);

	if (n && a->pid != PID_EXITED)
		return bad("a blank access_command (a command only with "
			   "access_pid -2), found '%s'", shown(f[6].p, n));
	a->comm = intern_field(f[6].p, n, false);
	return true;
}

void parse_accesses(struct src *s, struct consumer *c)
{
	struct rows r = { .s = s };
	struct sink k = { 0 };
	struct fld f[MAXF];
	struct kacc a;
	char *line;
	size_t len;

	memset(&a, 0, sizeof(a));
	while (next_row(&r, &line, &len)) {
		struct kobj *o;
		u64 va, idx;
		int nf = split_csv(line, len, f);

		k.lines = s->lineno;
		if (nf < 0)
			goto reject;
		/* more fields than columns: commas in access_command */
		if (nf < (int)s->ncols || (nf > (int)s->ncols && !s->acc_command)) {
			bad("%u comma-separated fields (an accesses row), found %d",
			    s->ncols, nf);
			goto reject;
		}
		if (nf > MAXF) {
			bad("at most %d comma-separated fields, found %d", MAXF, nf);
			goto reject;
		}
		if (!parse_hex(f[0].p, f[0].n, &va)) {
			bad("hexadecimal obj_va_ptr, found '%s'", shown(f[0].p, f[0].n));
			goto reject;
		}
		if (!parse_udec(f[1].p, f[1].n, &idx)) {
			bad("unsigned decimal alloc_index, found '%s'",
			    shown(f[1].p, f[1].n));
			goto reject;
		}
		if (!decode_acc(f, 6, 2, NULL, &a))
			goto reject;
		if (s->acc_command && !access_command(f, nf, s->ncols, &a))
			goto reject;
		o = table_find_or_stub(va, idx, c);
		o->reads += a.reads;
		o->writes += a.writes;
		o->naccess++;
		c->acc(c->ctx, o, &a);
		continue;
reject:
		reject(&k);
		if (k.failed)
			break;
	}
	parse_count(k.nbad, 0);
	if (k.failed)
		parse_fail(s, k.errline, k.err);
}
