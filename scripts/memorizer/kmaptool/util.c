// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers every part of kmaptool uses: allocation that cannot fail
 * silently, string interning, one hash table, CSV output.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__SSE2__) && !defined(KT_PORTABLE)
#include <emmintrin.h>
#endif

#include "util.h"

const char *const alloc_type_names[NR_ALLOC_TYPES] = {
	"STACK", "STACK_FRAME", "STACK_ARGS", "STACK_PAGE", "GEN_HEAP",
	"UFO_HEAP", "GLOBAL", "KMALLOC", "KMALLOC_ND", "KMEM_CACHE",
	"KMEM_CACHE_ND", "KMEM_CACHE_BULK", "VMALLOC", "ALLOC_PAGES",
	"ALLOC_PAGES_EXACT", "ALLOC_PAGES_GETFREEPAGES", "ALLOC_PAGES_FOLIO",
	"INDUCED_ALLOC", "BOOTMEM", "MEMBLOCK", "UFO_MEMBLOCK", "MEMORIZER",
	"USER", "BUG", "UFO_GLOBAL", "UFO_NONE", "NONE",
};

void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, KT_NAME ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_DATA);
}

void die_usage(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, KT_NAME ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		die("out of memory (%zu x %zu bytes)", n, sz);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/*
 * Big hash tables are probed at random: on 4 KiB pages nearly every probe
 * is also a TLB miss, so ask for transparent huge pages.
 */
void *table_alloc(size_t bytes)
{
	void *p;

	if (bytes < (2u << 20))
		return xcalloc(1, bytes);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		die("out of memory (%zu bytes)", bytes);
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

void table_free(void *p, size_t bytes)
{
	if (!p)
		return;
	if (bytes < (2u << 20))
		free(p);
	else
		munmap(p, bytes);
}

void grow(void **v, size_t *cap, size_t need, size_t sz)
{
	size_t c = *cap;

	if (need <= c)
		return;
	if (c < 16)
		c = 16;
	while (c < need)
		c *= 2;
	*v = xrealloc(*v, c * sz);
	*cap = c;
}

/* ---- hash table -------------------------------------------------------- */

struct hslot {
	u64 a, b;
	u32 val;
	u32 gen;	/* slot is in use iff gen == table gen */
};

static inline u64 hmix(u64 a, u64 b)
{
	u64 h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull) *
		0xc2b2ae3d27d4eb4full;

	return h ^ (h >> 31);
}

void hmap_init(struct hmap *h, u32 size_hint)
{
	u32 n = 16;

	while (n < size_hint * 2)
		n *= 2;
	h->slot = xcalloc(n, sizeof(*h->slot));
	h->mask = n - 1;
	h->n = 0;
	h->gen = 1;
}

void hmap_free(struct hmap *h)
{
	free(h->slot);
	h->slot = NULL;
}

void hmap_clear(struct hmap *h)
{
	h->n = 0;
	if (++h->gen == 0) {
		memset(h->slot, 0, (size_t)(h->mask + 1) * sizeof(*h->slot));
		h->gen = 1;
	}
}

static void hmap_rehash(struct hmap *h)
{
	struct hslot *old = h->slot;
	u32 oldn = h->mask + 1, gen = h->gen;
	u32 n = oldn * 2;

	if (n == 0)
		die("hash table too large");
	h->slot = xcalloc(n, sizeof(*h->slot));
	h->mask = n - 1;
	h->gen = 1;
	for (u32 i = 0; i < oldn; i++) {
		struct hslot *s = &old[i];
		u32 j;

		if (s->gen != gen)
			continue;
		j = hmix(s->a, s->b) & h->mask;
		while (h->slot[j].gen == 1)
			j = (j + 1) & h->mask;
		h->slot[j] = *s;
		h->slot[j].gen = 1;
	}
	free(old);
}

u32 *hmap_put(struct hmap *h, u64 a, u64 b, bool *isnew)
{
	u32 j;

	if ((h->n + 1) * 2 > h->mask + 1)
		hmap_rehash(h);
	j = hmix(a, b) & h->mask;
	for (;;) {
		struct hslot *s = &h->slot[j];

		if (s->gen != h->gen) {
			s->a = a;
			s->b = b;
			s->val = 0;
			s->gen = h->gen;
			h->n++;
			*isnew = true;
			return &s->val;
		}
		if (s->a == a && s->b == b) {
			*isnew = false;
			return &s->val;
		}
		j = (j + 1) & h->mask;
	}
}

u32 *hmap_get(struct hmap *h, u64 a, u64 b)
{
	u32 j = hmix(a, b) & h->mask;

	for (;;) {
		struct hslot *s = &h->slot[j];

		if (s->gen != h->gen)
			return NULL;
		if (s->a == a && s->b == b)
			return &s->val;
		j = (j + 1) & h->mask;
	}
}

bool hmap_next(const struct hmap *h, u32 *iter, u64 *a, u64 *b, u32 *val)
{
	while (*iter <= h->mask) {
		const struct hslot *s = &h->slot[(*iter)++];

		if (s->gen != h->gen)
			continue;
		*a = s->a;
		*b = s->b;
		*val = s->val;
		return true;
	}
	return false;
}

/* ---- interned strings ------------------------------------------------- */

/*
 * The table of strings is written by parser threads and read by the
 * consumer (see pool.c), so entries never move: they live in fixed-size
 * chunks, and an id reaches the reader only in a chunk of records handed
 * over under the pool's lock, after the entry was written.
 */
#define STR_CHUNK_BITS	12
#define STR_CHUNK	(1u << STR_CHUNK_BITS)

struct sstr {
	const char *s;
	size_t len;
};

static struct sstr *str_chunks[1u << 16];
static u32 nstrs;
static u32 *str_slot;	/* open addressing over ids + 1; 0 = empty */
static u32 str_mask;

/* Strings live in big chunks: millions of lookups, few thousand strings. */
static char *arena;
static size_t arena_left;

static const char *arena_copy(const char *s, size_t len)
{
	char *p;

	if (len + 1 > arena_left) {
		size_t sz = len + 1 > 65536 ? len + 1 : 65536;

		arena = xmalloc(sz);
		arena_left = sz;
	}
	p = arena;
	memcpy(p, s, len);
	p[len] = '\0';
	arena += len + 1;
	arena_left -= len + 1;
	return p;
}

static inline struct sstr *str_ent(u32 id)
{
	return &str_chunks[id >> STR_CHUNK_BITS][id & (STR_CHUNK - 1)];
}

static inline u32 str_hash(const char *s, size_t len)
{
	u64 h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return (u32)(h ^ (h >> 32));
}

static void str_rehash(void)
{
	u32 n = str_mask ? (str_mask + 1) * 2 : 1024;

	free(str_slot);
	str_slot = xcalloc(n, sizeof(*str_slot));
	str_mask = n - 1;
	for (u32 id = 1; id < nstrs; id++) {
		struct sstr *e = str_ent(id);
		u32 j = str_hash(e->s, e->len) & str_mask;

		while (str_slot[j])
			j = (j + 1) & str_mask;
		str_slot[j] = id + 1;
	}
}

static u32 str_add(const char *s, size_t len)
{
	u32 id = nstrs;
	struct sstr *e;

	if ((id >> STR_CHUNK_BITS) >= sizeof(str_chunks) / sizeof(str_chunks[0]))
		die("too many distinct strings");
	if (!str_chunks[id >> STR_CHUNK_BITS])
		str_chunks[id >> STR_CHUNK_BITS] = xcalloc(STR_CHUNK, sizeof(struct sstr));
	e = str_ent(id);
	e->s = arena_copy(s, len);
	e->len = len;
	nstrs++;
	return id;
}

/* Id 0, the empty string, exists before anything else runs. */
__attribute__((constructor)) static void str_init(void)
{
	str_add("", 0);
	str_rehash();
}

/*
 * Parser threads intern the strings they have not seen yet (rarely: they
 * keep their own caches), so one lock is enough.
 */
static pthread_mutex_t str_lock = PTHREAD_MUTEX_INITIALIZER;

u32 str_intern(const char *s, size_t len)
{
	u32 j, id;

	if (len == 0)
		return 0;
	pthread_mutex_lock(&str_lock);
	j = str_hash(s, len) & str_mask;
	while (str_slot[j]) {
		struct sstr *e = str_ent(str_slot[j] - 1);

		if (e->len == len && memcmp(e->s, s, len) == 0) {
			id = str_slot[j] - 1;
			goto out;
		}
		j = (j + 1) & str_mask;
	}
	id = str_add(s, len);
	str_slot[j] = id + 1;
	if ((u64)nstrs * 2 > (u64)str_mask + 1)
		str_rehash();
out:
	pthread_mutex_unlock(&str_lock);
	return id;
}

const char *str_get(u32 id)
{
	return str_ent(id)->s;
}

size_t str_len(u32 id)
{
	return str_ent(id)->len;
}

const char *str_show(u32 id)
{
	return id ? str_get(id) : "(none)";
}

/* ---- output ------------------------------------------------------------ */

void csv_field(FILE *f, const char *s, size_t len)
{
	bool quote = false;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') {
			quote = true;
			break;
		}
	}
	/* pandas would strip these as whitespace-only; keep them verbatim. */
	if (len && (s[0] == ' ' || s[len - 1] == ' '))
		quote = true;
	if (!quote) {
		fwrite(s, 1, len, f);
		return;
	}
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			fputc('"', f);
		fputc(s[i], f);
	}
	fputc('"', f);
}

void csv_str(FILE *f, u32 id)
{
	csv_field(f, str_get(id), str_len(id));
}

/* qsort(), which must not be given a NULL array even when it is empty. */
void sort_n(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static void swap_elem(char *a, char *b, char *tmp, size_t size)
{
	memcpy(tmp, a, size);
	memcpy(a, b, size);
	memcpy(b, tmp, size);
}

/* Restores the heap (the last in cmp's order on top) below i. */
static void sift_down(char *base, size_t i, size_t k, size_t size, char *tmp,
		      int (*cmp)(const void *, const void *))
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < k && cmp(base + l * size, base + m * size) > 0)
			m = l;
		if (r < k && cmp(base + r * size, base + m * size) > 0)
			m = r;
		if (m == i)
			return;
		swap_elem(base + i * size, base + m * size, tmp, size);
		i = m;
	}
}

void sort_top(void *base, size_t n, size_t k, size_t size,
	      int (*cmp)(const void *, const void *))
{
	char *b = base, *tmp;

	if (k * 2 >= n) {
		sort_n(base, n, size, cmp);
		return;
	}
	/* A heap of the k best so far, the worst of them on top. */
	tmp = xmalloc(size);
	for (size_t i = k / 2; i-- > 0;)
		sift_down(b, i, k, size, tmp, cmp);
	for (size_t i = k; i < n; i++) {
		if (k && cmp(b + i * size, b) < 0) {
			swap_elem(b + i * size, b, tmp, size);
			sift_down(b, 0, k, size, tmp, cmp);
		}
	}
	free(tmp);
	sort_n(base, k, size, cmp);
}

char *str_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = xmalloc(la + lb + 1);

	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

FILE *xfopen_out(const char *path)
{
	FILE *f;

	if (!strcmp(path, "-"))
		return stdout;
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	/* Output is written a field at a time: let stdio batch it. */
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

void xfclose_out(FILE *f, const char *path)
{
	if (f == stdout) {
		if (fflush(f) || ferror(f))
			die("%s: write error: %s", "<stdout>", strerror(errno));
		return;
	}
	if (ferror(f) | fclose(f))
		die("%s: write error: %s", path, strerror(errno));
}

/* ---- numbers ---------------------------------------------------------- */

signed char hexval[256];

__attribute__((constructor)) static void init_hexval(void)
{
	memset(hexval, -1, sizeof(hexval));
	for (int i = 0; i < 10; i++)
		hexval['0' + i] = (signed char)i;
	for (int i = 0; i < 6; i++) {
		hexval['a' + i] = (signed char)(10 + i);
		hexval['A' + i] = (signed char)(10 + i);
	}
}

bool parse_hex(const char *s, size_t n, u64 *v)
{
	u64 x = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (n == 0)
		return false;
	while (n > 1 && *s == '0') {	/* leading zeros do not overflow */
		s++;
		n--;
	}
	if (n > 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		int d = hexval[(unsigned char)s[i]];

		if (d < 0)
			return false;
		x = x << 4 | (u64)d;
	}
	*v = x;
	return true;
}

bool parse_udec(const char *s, size_t n, u64 *v)
{
	u64 x = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9)
			return false;
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

bool parse_sdec(const char *s, size_t n, s64 *v)
{
	bool neg = false;
	u64 x;

	if (n && (*s == '-' || *s == '+')) {
		neg = *s == '-';
		s++;
		n--;
	}
	if (!parse_udec(s, n, &x))
		return false;
	if (neg) {
		if (x > (u64)INT64_MAX + 1)
			return false;
		*v = (s64)(0 - x);
	} else {
		if (x > (u64)INT64_MAX)
			return false;
		*v = (s64)x;
	}
	return true;
}

u64 opt_u64(const char *opt, const char *arg)
{
	u64 v;

	if (!parse_udec(arg, strlen(arg), &v))
		die_usage("%s: expected an unsigned decimal number, got '%s'", opt, arg);
	return v;
}

s64 opt_s64(const char *opt, const char *arg)
{
	s64 v;

	if (!parse_sdec(arg, strlen(arg), &v))
		die_usage("%s: expected a decimal number, got '%s'", opt, arg);
	return v;
}

/* ---- JSON ---------------------------------------------------------------- */

size_t json_escape(char *dst, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	dst[o++] = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			/* bytes, not text: kept ASCII, so always valid JSON */
			memcpy(dst + o, "\\u00", 4);
			dst[o + 4] = hex[c >> 4];
			dst[o + 5] = hex[c & 15];
			o += 6;
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o++] = '"';
	return o;
}

void json_str(FILE *f, const char *s, size_t len)
{
	char *b = xmalloc(JSON_ESCAPED_MAX(len));

	fwrite(b, 1, json_escape(b, s, len), f);
	free(b);
}

/* ---- fast output ------------------------------------------------------------ */

#define OB_SIZE (1u << 20)

/* The writer thread and its queue. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct obuf *head, *tail;	/* buffers to write, in order */
	pthread_t tid;
	int nopen;		/* obufs open: the thread stops with the last */
	bool running, quit;
} wr = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
};

void ob_open(struct obuf *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	o->path = path;
	if (!strcmp(path, "-")) {
		o->fd = 1;
		o->path = "<stdout>";
	} else {
		struct stat st;

		/*
		 * A file of ours from an earlier run is replaced, not
		 * truncated: ext4 writes a file truncated and written again
		 * to disk when it is closed (auto_da_alloc), which would cost
		 * the writer a good part of its time.  Anything else (a link,
		 * a device, a file with other names) is opened as it is.
		 */
		if (!lstat(path, &st) && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
		    st.st_uid == geteuid())
			unlink(path);
		o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (o->fd < 0)
			die("%s: %s", path, strerror(errno));
	}
	o->cap = OB_SIZE;
	o->b = xmalloc(o->cap);
	pthread_mutex_lock(&wr.mu);
	wr.nopen++;
	pthread_mutex_unlock(&wr.mu);
}

static void ob_write(struct obuf *o, const char *s, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t r = write(o->fd, s + off, n - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("%s: write error: %s", o->path,
			    r < 0 ? strerror(errno) : "nothing written");
		off += (size_t)r;
	}
}

static void *writer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wr.mu);
	for (;;) {
		struct obuf *o = wr.head;

		if (!o) {
			if (wr.quit)
				break;
			pthread_cond_wait(&wr.work, &wr.mu);
			continue;
		}
		wr.head = o->wnext;
		if (!wr.head)
			wr.tail = NULL;
		pthread_mutex_unlock(&wr.mu);
		ob_write(o, o->wb, o->wn);
		pthread_mutex_lock(&wr.mu);
		o->spare = o->wb;
		o->wb = NULL;
		pthread_cond_broadcast(&wr.done);
	}
	pthread_mutex_unlock(&wr.mu);
	return NULL;
}

/* Until the writer has o's last buffer on its way (wr.mu held). */
static void ob_wait(struct obuf *o)
{
	while (o->wb)
		pthread_cond_wait(&wr.done, &wr.mu);
}

void ob_flush(struct obuf *o)
{
	if (!o->n)
		return;
	pthread_mutex_lock(&wr.mu);
	ob_wait(o);
	if (!wr.running) {
		wr.quit = false;
		wr.running = pthread_create(&wr.tid, NULL, writer, NULL) == 0;
	}
	if (!wr.running) {	/* no thread: write it here */
		pthread_mutex_unlock(&wr.mu);
		ob_write(o, o->b, o->n);
		o->n = 0;
		return;
	}
	o->wb = o->b;
	o->wn = o->n;
	o->wnext = NULL;
	if (wr.tail)
		wr.tail->wnext = o;
	else
		wr.head = o;
	wr.tail = o;
	pthread_cond_signal(&wr.work);
	o->b = o->spare ? o->spare : xmalloc(o->cap);
	o->spare = NULL;
	pthread_mutex_unlock(&wr.mu);
	o->n = 0;
}

/* Everything o was given is written. */
static void ob_sync(struct obuf *o)
{
	ob_flush(o);
	pthread_mutex_lock(&wr.mu);
	ob_wait(o);
	pthread_mutex_unlock(&wr.mu);
}

void ob_mem_slow(struct obuf *o, const void *s, size_t n)
{
	if (n >= o->cap) {
		ob_sync(o);
		ob_write(o, s, n);
		return;
	}
	ob_flush(o);
	memcpy(o->b, s, n);
	o->n = n;
}

void ob_close(struct obuf *o)
{
	ob_sync(o);
	if (o->fd != 1 && close(o->fd))
		die("%s: write error: %s", o->path, strerror(errno));
	free(o->b);
	free(o->spare);
	o->b = o->spare = NULL;
	pthread_mutex_lock(&wr.mu);
	if (--wr.nopen == 0 && wr.running) {
		wr.quit = true;
		pthread_cond_signal(&wr.work);
		pthread_mutex_unlock(&wr.mu);
		pthread_join(wr.tid, NULL);
		pthread_mutex_lock(&wr.mu);
		wr.running = false;
	}
	pthread_mutex_unlock(&wr.mu);
}

static const char digits2[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* The 8 decimal digits of v < 10^8 as text, the first in the low byte. */
static inline u64 dec_digits8(u32 v)
{
	/* two 4-digit lanes, then 2-digit, then 1-digit: divisions as products */
	u64 x = (v / 10000) | (u64)(v % 10000) << 32;
	u64 h = ((x * 10486) >> 20) & 0x0000007f0000007full;

	x = h | (x - h * 100) << 16;
	h = ((x * 103) >> 10) & 0x000f000f000f000full;
	x = h | (x - h * 10) << 8;
	return x + 0x3030303030303030ull;
}

/*
 * By size, most common first, without a loop.  Below 100 (most counts,
 * page counts, low pids): one 2-byte copy from the table, a single digit
 * being the second byte of its pair (the byte after it is a spare one
 * the caller's room allows, as the wider stores below need).  Below 10^4:
 * two pairs in one 4-byte store, the leading '0' shifted out.  Below
 * 10^8 (indexes, sequence numbers): the 8 digits in one store, the
 * leading '0's shifted out, counted from the lowest nonzero digit byte.
 * Above: the digits are counted, then written with two 8-byte stores
 * (the first cut to the digits shown); 17 digits and more, rare, a pair
 * at a time.
 */
char *fmt_u64(char *p, u64 v)
{
	static const u64 pow10[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
		10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
		100000000000ull, 1000000000000ull, 10000000000000ull,
		100000000000000ull, 1000000000000000ull, 10000000000000000ull,
		100000000000000000ull, 1000000000000000000ull,
		10000000000000000000ull,
	};
	unsigned t, n;
	char *e, *q;
	u64 hi, lo;

	if (v < 100) {
		memcpy(p, digits2 + 2 * v + (v < 10), 2);
		return p + 1 + (v >= 10);
	}
	if (v < 10000) {	/* two pairs of digits from the table */
		u32 h = ((u32)v * 5243) >> 19, w;	/* v / 100 */
		u16 a, b;

		n = v < 1000;	/* leading byte to drop */
		memcpy(&a, digits2 + 2 * h, 2);
		memcpy(&b, digits2 + 2 * ((u32)v - 100 * h), 2);
		w = (a | (u32)b << 16) >> 8 * n;
		memcpy(p, &w, 4);
		return p + 4 - n;
	}
	if (v < 100000000) {	/* 8 digits, the leading '0's dropped */
		lo = dec_digits8((u32)v);
		t = (unsigned)__builtin_ctzll(lo - 0x3030303030303030ull) & ~7u;
		lo >>= t;
		memcpy(p, &lo, 8);
		return p + 8 - t / 8;
	}
	/* floor(log10(2^bits)): the digits, or one more than them */
	t = ((64 - (unsigned)__builtin_clzll(v)) * 1233) >> 12;
	n = t + (v >= pow10[t]);
	e = q = p + n;
	if (n <= 16) {
		hi = dec_digits8((u32)(v / 100000000)) >> 8 * (16 - n);
		lo = dec_digits8((u32)(v % 100000000));
		memcpy(p, &hi, 8);
		memcpy(p + n - 8, &lo, 8);
		return e;
	}
	while (v >= 100) {
		q -= 2;
		memcpy(q, digits2 + (v % 100) * 2, 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(q - 2, digits2 + v * 2, 2);
	else
		q[-1] = (char)('0' + v);
	return e;
}

char *fmt_s64(char *p, s64 v)
{
	if (v < 0) {
		*p++ = '-';
		return fmt_u64(p, 0 - (u64)v);
	}
	return fmt_u64(p, (u64)v);
}

/* The 8 hex digits of x as text, the first digit in the low byte. */
static inline u64 hex_digits8(u32 x)
{
	u64 v = x;

	v = (v | v << 16) & 0x0000ffff0000ffffull;
	v = (v | v << 8) & 0x00ff00ff00ff00ffull;
	v = (v | v << 4) & 0x0f0f0f0f0f0f0f0full;	/* byte i: nibble i */
	v += 0x3030303030303030ull +
	     39 * (((v + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull);
	return __builtin_bswap64(v);
}

#if defined(__SSE2__) && !defined(KT_PORTABLE)
/*
 * 16 digits (every kernel address): all at once, one 16-byte store.  The
 * bytes of v, most significant first, split into high and low nibbles,
 * interleaved, then '0' added, and 'a' - '0' - 10 more above 9.
 */
static inline char *hex16(char *p, u64 v)
{
	__m128i x = _mm_cvtsi64_si128((long long)__builtin_bswap64(v));
	__m128i lo = _mm_and_si128(x, _mm_set1_epi8(0x0f));
	__m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4), _mm_set1_epi8(0x0f));
	__m128i d = _mm_unpacklo_epi8(hi, lo);
	__m128i af = _mm_and_si128(_mm_cmpgt_epi8(d, _mm_set1_epi8(9)),
				   _mm_set1_epi8('a' - '0' - 10));

	_mm_storeu_si128((__m128i *)p,
			 _mm_add_epi8(d, _mm_add_epi8(af, _mm_set1_epi8('0'))));
	return p + 16;
}
#endif

/* Without a loop: two 8-byte stores, the first cut to the digits shown. */
char *fmt_hex(char *p, u64 v)
{
	unsigned n;
	u64 hi, lo;

#if defined(__SSE2__) && !defined(KT_PORTABLE)
	if (v >> 60)
		return hex16(p, v);
#endif
	n = v ? (67 - (unsigned)__builtin_clzll(v)) / 4 : 1;
	hi = hex_digits8((u32)(v >> 32));
	lo = hex_digits8((u32)v);

	if (n > 8) {
		hi >>= 8 * (16 - n);
		memcpy(p, &hi, 8);
		memcpy(p + n - 8, &lo, 8);
	} else {
		lo >>= 8 * (8 - n);
		memcpy(p, &lo, 8);
	}
	return p + n;
}
