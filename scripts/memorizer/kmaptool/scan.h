/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Field scanning and number conversion for parse.c's fast decoder, inline
 * because they run several times per line.  Callers guarantee readable
 * bytes past the field (SRC_PAD after every chunk): loads are 8 or 16
 * bytes wide and only their first bytes count.
 */
#ifndef KMAPTOOL_SCAN_H
#define KMAPTOOL_SCAN_H

#include <string.h>

#include "util.h"

#define ONES	0x0101010101010101ull
#define HIGHS	0x8080808080808080ull
#define LOWS	0x7f7f7f7f7f7f7f7full

static inline u64 ld8(const char *p)
{
	u64 v;

	memcpy(&v, p, 8);
	return v;
}

#if defined(__SSE2__) && !defined(KT_PORTABLE)
/*
 * x86-64 always has SSE2: classify 16 bytes per instruction, exactly, and
 * find the first byte that does not belong to the field.
 */
#include <emmintrin.h>

static inline u32 hexmask16(const char *p)
{
	__m128i x = _mm_loadu_si128((const __m128i *)p);
	__m128i l = _mm_or_si128(x, _mm_set1_epi8(0x20));
	__m128i d = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
				  _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
	__m128i a = _mm_and_si128(_mm_cmpgt_epi8(l, _mm_set1_epi8('a' - 1)),
				  _mm_cmplt_epi8(l, _mm_set1_epi8('f' + 1)));

	return (u32)_mm_movemask_epi8(_mm_or_si128(d, a));
}

static inline u32 decmask16(const char *p)
{
	__m128i x = _mm_loadu_si128((const __m128i *)p);

	return (u32)_mm_movemask_epi8(_mm_and_si128(
		_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
		_mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1))));
}

/* Number of leading hex digits of p, up to 17 (17 meaning "too many"). */
static inline unsigned hexlen(const char *p)
{
	u32 m = ~hexmask16(p);

	if (m & 0xffff)
		return (unsigned)__builtin_ctz(m);
	return hexval[(unsigned char)p[16]] < 0 ? 16 : 17;
}

static inline unsigned declen(const char *p)
{
	u32 m = ~decmask16(p);

	if (m & 0xffff)
		return (unsigned)__builtin_ctz(m);
	return 17;
}

/* Length of a string field: up to the first ',' or '\n'. */
static inline size_t strfield(const char *p)
{
	for (size_t i = 0;; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + i));
		u32 m = (u32)_mm_movemask_epi8(_mm_or_si128(
			_mm_cmpeq_epi8(x, _mm_set1_epi8(',')),
			_mm_cmpeq_epi8(x, _mm_set1_epi8('\n'))));

		if (m)
			return i + (unsigned)__builtin_ctz(m);
	}
}

/* Length of the rest of a line: up to its '\n'. */
static inline size_t nlfield(const char *p)
{
	for (size_t i = 0;; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + i));
		u32 m = (u32)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\n')));

		if (m)
			return i + (unsigned)__builtin_ctz(m);
	}
}

/*
 * The n (1..16) hex digits at p, known valid, all 16 bytes at once: to
 * nibbles, nibble pairs to bytes, the bytes as a big-endian number, the
 * bytes after the digits shifted out.
 */
#define HAVE_HEXN16
static inline __attribute__((always_inline)) u64 hexn16(const char *p, unsigned n)
{
	__m128i x = _mm_loadu_si128((const __m128i *)p);
	__m128i lo = _mm_and_si128(x, _mm_set1_epi8(0x0f));
	__m128i af = _mm_and_si128(_mm_srli_epi16(x, 6), _mm_set1_epi8(1));
	/* '0'-'9' -> 0-9; 'a'-'f' and 'A'-'F' (bit 6 set) -> 10-15 */
	__m128i nib = _mm_add_epi8(lo, _mm_add_epi8(_mm_slli_epi16(af, 3), af));
	__m128i bytes = _mm_and_si128(_mm_or_si128(_mm_slli_epi16(nib, 4),
						   _mm_srli_epi16(nib, 8)),
				      _mm_set1_epi16(0x00ff));
	u64 v = (u64)_mm_cvtsi128_si64(_mm_packus_epi16(bytes, bytes));

	return __builtin_bswap64(v) >> (4 * (16 - n));
}

#else

/* Portable: the same, 8 bytes at a time in a u64. */

/* High bit set in each byte of x within [lo, hi] (for lo >= 1). */
static inline u64 in_range(u64 x, unsigned lo, unsigned hi)
{
	u64 b = x & LOWS;

	return (b + (0x80 - lo) * ONES) & ~(b + (0x7f - hi) * ONES) & ~x & HIGHS;
}

/* High bit set in each byte of x equal to c: exact, no false positives. */
static inline u64 eq_mask(u64 x, unsigned c)
{
	u64 y = x ^ (c * ONES);

	return ~(((y & LOWS) + LOWS) | y | LOWS);
}

static inline u64 nonhex(u64 x)
{
	return ~(in_range(x, '0', '9') | in_range(x | 0x2020202020202020ull, 'a', 'f')) &
	       HIGHS;
}

static inline u64 nondigit(u64 x)
{
	return ~in_range(x, '0', '9') & HIGHS;
}

/* Number of leading hex digits of p, up to 17 (17 meaning "too many"). */
static inline unsigned hexlen(const char *p)
{
	u64 m = nonhex(ld8(p));

	if (m)
		return (unsigned)__builtin_ctzll(m) >> 3;
	m = nonhex(ld8(p + 8));
	if (m)
		return 8 + ((unsigned)__builtin_ctzll(m) >> 3);
	return hexval[(unsigned char)p[16]] < 0 ? 16 : 17;
}

static inline unsigned declen(const char *p)
{
	u64 m = nondigit(ld8(p));

	if (m)
		return (unsigned)__builtin_ctzll(m) >> 3;
	m = nondigit(ld8(p + 8));
	if (m)
		return 8 + ((unsigned)__builtin_ctzll(m) >> 3);
	return 17;
}

/* Length of a string field: up to the first ',' or '\n'. */
static inline size_t strfield(const char *p)
{
	for (size_t i = 0;; i += 8) {
		u64 x = ld8(p + i), m = eq_mask(x, ',') | eq_mask(x, '\n');

		if (m)
			return i + ((unsigned)__builtin_ctzll(m) >> 3);
	}
}

/* Length of the rest of a line: up to its '\n'. */
static inline size_t nlfield(const char *p)
{
	for (size_t i = 0;; i += 8) {
		u64 m = eq_mask(ld8(p + i), '\n');

		if (m)
			return i + ((unsigned)__builtin_ctzll(m) >> 3);
	}
}

#endif

/* n (1..8) hex digits at p, known valid. */
static inline __attribute__((always_inline)) u64 hex8(const char *p, unsigned n)
{
	u64 x = ld8(p);
	/* nibble per byte: '0'-'9' -> 0-9, 'a'-'f' and 'A'-'F' -> 10-15 */
	u64 v = (x & 0x0f0f0f0f0f0f0f0full) + 9 * ((x >> 6) & ONES);

	v <<= 8 * (8 - n);	/* drop what follows; leading zero nibbles */
	v = ((v << 4) | (v >> 8)) & 0x00ff00ff00ff00ffull;
	v = ((v << 8) | (v >> 16)) & 0x0000ffff0000ffffull;
	return ((v << 16) | (v >> 32)) & 0xffffffffull;
}

static inline __attribute__((always_inline)) u64 hexn(const char *p, unsigned n)
{
	if (n <= 8)
		return hex8(p, n);
	return hex8(p, n - 8) << 32 | hex8(p + n - 8, 8);
}

#ifndef HAVE_HEXN16
#define hexn16 hexn
#endif

/* n (1..8) decimal digits at p, known valid. */
static inline __attribute__((always_inline)) u64 dec8(const char *p, unsigned n)
{
	u64 v;

	if (n <= 4) {	/* counts and pids are mostly short: half the work */
		u32 w;

		memcpy(&w, p, 4);
		w = (w - 0x30303030u) << (8 * (4 - n));
		w = (w * 10 + (w >> 8)) & 0x00ff00ffu;
		return (w * 100 + (w >> 16)) & 0xffffu;
	}
	v = (ld8(p) - 0x3030303030303030ull) << (8 * (8 - n));

	v = (v * 10 + (v >> 8)) & 0x00ff00ff00ff00ffull;
	v = (v * 100 + (v >> 16)) & 0x0000ffff0000ffffull;
	return (v * 10000 + (v >> 32)) & 0xffffffffull;
}

static inline __attribute__((always_inline)) u64 decn(const char *p, unsigned n)
{
	if (n <= 8)
		return dec8(p, n);
	return dec8(p, n - 8) * 100000000ull + dec8(p + n - 8, 8);
}

#if defined(__SSE2__) && !defined(KT_PORTABLE)

/*
 * A whole access line as the kernel prints it, in at most 32 bytes: two
 * spaces, 16 hex digits, and three plain decimal fields, each ',' first,
 * then '\n'.  Two loads give the positions of every ',', '\n' and digit
 * as bit masks, so the line is checked and cut with a few mask tests
 * instead of a scan per field.  Returns the end of the line (past its
 * '\n'), or NULL for anything else (a '\r', a '-', a longer line): the
 * field-by-field decoder takes those.
 */
#define HAVE_ACC_LINE32
struct acc_fields {
	u64 ip, writes, reads, pid;
};

static inline const char *acc_line32(const char *p, struct acc_fields *f)
{
	__m128i a = _mm_loadu_si128((const __m128i *)p);
	__m128i b = _mm_loadu_si128((const __m128i *)(p + 16));
	__m128i comma = _mm_set1_epi8(','), nl = _mm_set1_epi8('\n');
	u32 c = (u32)_mm_movemask_epi8(_mm_cmpeq_epi8(a, comma)) |
		(u32)_mm_movemask_epi8(_mm_cmpeq_epi8(b, comma)) << 16;
	u32 n = (u32)_mm_movemask_epi8(_mm_cmpeq_epi8(a, nl)) |
		(u32)_mm_movemask_epi8(_mm_cmpeq_epi8(b, nl)) << 16;
	u32 d = decmask16(p) | decmask16(p + 16) << 16;
	u32 rest, c2, c3;
	unsigned e;

	if (!n || p[0] != ' ' || p[1] != ' ' || hexmask16(p + 2) != 0xffff)
		return NULL;
	e = (unsigned)__builtin_ctz(n);
	/* bits 18 to e - 1: ',' then digits and exactly two more ',' */
	rest = ((1u << e) - 1) & ~((1u << 18) - 1);
	c &= rest;
	c2 = c & (c - 1);	/* without the first (at 18) */
	c3 = c2 & (c2 - 1);	/* without the second */
	if (!(c & 1u << 18) || ((c | d) & rest) != rest || !c3 || (c3 & (c3 - 1)) ||
	    (c & (c << 1 | 1u << (e - 1))))	/* no empty field */
		return NULL;
	c2 = (unsigned)__builtin_ctz(c2);
	c3 = (unsigned)__builtin_ctz(c3);
	f->ip = hexn16(p + 2, 16);
	f->writes = decn(p + 19, c2 - 19);
	f->reads = decn(p + c2 + 1, c3 - c2 - 1);
	f->pid = decn(p + c3 + 1, e - c3 - 1);
	return p + e + 1;
}

#endif

#endif /* KMAPTOOL_SCAN_H */
