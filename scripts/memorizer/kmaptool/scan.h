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
#ifdef __SSE4_1__
#include <smmintrin.h>
#endif

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
 * Three decimal fields at p, as the kernel prints counts and indexes: 1 to
 * 8 digits each, the first two ended by ',' and the third by term, all in
 * 16 bytes.  Their values, and the bytes up to and with term; 0 for
 * anything else (a '-', a longer field), which the field-by-field decoder
 * takes.  One load finds the three ends; with SSE4.1 the three numbers are
 * then converted side by side in one register rather than one by one.
 */
static inline unsigned dec3_16(const char *p, char term, u64 *a, u64 *b, u64 *c)
{
	u32 nd = ~decmask16(p) & 0xffff;
	unsigned e1, e2, e3;

	e1 = (unsigned)__builtin_ctz(nd | 1u << 16);
	nd &= nd - 1;
	e2 = (unsigned)__builtin_ctz(nd | 1u << 16);
	nd &= nd - 1;
	e3 = (unsigned)__builtin_ctz(nd | 1u << 16);
	if ((e3 > 15) | (e1 - 1 > 7) | (e2 - e1 - 2 > 7) | (e3 - e2 - 2 > 7) ||
	    (p[e1] != ',') | (p[e2] != ',') | (p[e3] != term))
		return 0;
#ifdef __SSE4_1__
	{
		/*
		 * Each number right-aligned in a lane of 8 bytes (a, b; then
		 * c), the bytes before its field zero: pshufb zeroes a byte
		 * whose index has its high bit set, and a negative index or
		 * one below the field's start is made so.  Then digit pairs,
		 * fours and eights are joined by multiply-adds.
		 */
		const __m128i iota = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7,
						   0, 1, 2, 3, 4, 5, 6, 7);
		__m128i v = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)p),
					 _mm_set1_epi8('0'));
		__m128i ia = _mm_add_epi8(iota, _mm_set_epi64x(
			(long long)((u64)(unsigned char)(e2 - 8) * ONES),
			(long long)((u64)(unsigned char)(e1 - 8) * ONES)));
		__m128i ic = _mm_add_epi8(iota, _mm_set1_epi8((char)(e3 - 8)));
		__m128i sa = _mm_set_epi64x((long long)((e1 + 1) * ONES), 0);
		__m128i ta, tc;

		ia = _mm_or_si128(ia, _mm_cmplt_epi8(ia, sa));
		ic = _mm_or_si128(ic, _mm_cmplt_epi8(ic, _mm_set1_epi8((char)(e2 + 1))));
		ta = _mm_maddubs_epi16(_mm_shuffle_epi8(v, ia), _mm_set1_epi16(0x010a));
		tc = _mm_maddubs_epi16(_mm_shuffle_epi8(v, ic), _mm_set1_epi16(0x010a));
		ta = _mm_madd_epi16(ta, _mm_set1_epi32(0x00010064));
		tc = _mm_madd_epi16(tc, _mm_set1_epi32(0x00010064));
		ta = _mm_madd_epi16(_mm_packus_epi32(ta, tc), _mm_set1_epi32(0x00012710));
		*a = (u32)_mm_cvtsi128_si32(ta);
		*b = (u32)_mm_extract_epi32(ta, 1);
		*c = (u32)_mm_extract_epi32(ta, 2);
	}
#else
	*a = dec8(p, e1);
	*b = dec8(p + e1 + 1, e2 - e1 - 1);
	*c = dec8(p + e2 + 1, e3 - e2 - 1);
#endif
	return e3 + 1;
}

/*
 * A whole access line as the kernel prints it: two spaces, 16 hex digits,
 * ',' and three decimal fields (dec3_16()), the last ended by '\n'.
 * Returns the end of the line (past its '\n'), or NULL for anything else
 * (a '\r', a '-', a longer field): the field-by-field decoder takes those.
 */
#define HAVE_ACC_LINE32
struct acc_fields {
	u64 ip, writes, reads, pid;
};

static inline const char *acc_line32(const char *p, struct acc_fields *f)
{
	unsigned n;

	if (p[0] != ' ' || p[1] != ' ' || hexmask16(p + 2) != 0xffff || p[18] != ',')
		return NULL;
	n = dec3_16(p + 19, '\n', &f->writes, &f->reads, &f->pid);
	if (!n)
		return NULL;
	f->ip = hexn16(p + 2, 16);
	return p + 19 + n;
}

#endif

#endif /* KMAPTOOL_SCAN_H */
