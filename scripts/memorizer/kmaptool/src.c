// SPDX-License-Identifier: GPL-2.0
/*
 * Bytes in.  Regular files are mmap'd and parsed where they lie: a multi-GB
 * kmap is then read at page-cache speed with no copy.  Pipes (stdin, a
 * debugfs file) go through one reused read(2) buffer.  Either way memory
 * does not grow with the input.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src.h"

#define BUFSZ	(256 * 1024)	/* stays in L2 next to the hash tables */

void src_open(struct src *s, const char *path)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (!strcmp(path, "-")) {
		s->name = "<stdin>";
		s->fd = 0;
	} else {
		s->name = path;
		s->fd = open(path, O_RDONLY);
		if (s->fd < 0)
			die("%s: %s", path, strerror(errno));
	}
	if (fstat(s->fd, &st))
		die("%s: %s", s->name, strerror(errno));
	if (S_ISDIR(st.st_mode))
		die("%s: %s", s->name, strerror(EISDIR));
	/*
	 * debugfs and procfs files claim size 0 or a made-up size: only trust
	 * a regular file's size.  Private and writable so that the CSV
	 * parser may unquote fields in place (copy-on-write, rarely).
	 */
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		s->map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE, s->fd, 0);
		if (s->map == MAP_FAILED) {
			s->map = NULL;
		} else {
			s->mapsize = (size_t)st.st_size;
			madvise(s->map, s->mapsize, MADV_SEQUENTIAL);
			madvise(s->map, s->mapsize, MADV_WILLNEED);
			return;
		}
	}
	s->cap = BUFSZ;
	s->buf = xcalloc(s->cap + SRC_PAD, 1);
}

void src_close(struct src *s)
{
	if (s->fd > 0)
		close(s->fd);
	if (s->map)
		munmap(s->map, s->mapsize);
	free(s->buf);
	s->buf = NULL;
	s->map = NULL;
}

/*
 * Parsed pages of a mapping stay in our RSS until unmapped; a 10 GB kmap
 * would look like a 10 GB process.  Drop them as we go, in steps big
 * enough that the system calls do not count (256 per GB) and small next
 * to the tables a subcommand keeps.
 */
void src_release(struct src *s, const char *p)
{
	size_t upto, step = 4u << 20;

	if (!s->map || p < s->map || p > s->map + s->mapsize)
		return;
	upto = (size_t)(p - s->map) & ~(step - 1);
	if (upto > s->released) {
		madvise(s->map + s->released, upto - s->released, MADV_DONTNEED);
		s->released = upto;
	}
}

static size_t xread(struct src *s, char *p, size_t n)
{
	ssize_t r;

	do {
		r = read(s->fd, p, n);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		die("%s: %s", s->name, strerror(errno));
	return (size_t)r;
}

/* The end of a mapping is copied out, so that padding exists after it. */
static bool map_next(struct src *s, char **p, char **end)
{
	size_t lim, n;
	char *nl;

	if (s->mapstage == 0) {
		s->mapstage = 1;
		lim = s->mapsize > SRC_PAD ? s->mapsize - SRC_PAD : 0;
		nl = lim ? memrchr(s->map, '\n', lim) : NULL;
		if (nl) {
			*p = s->map;
			*end = nl + 1;
			s->mappos = (size_t)(*end - s->map);
			return true;
		}
	}
	if (s->mapstage == 1) {
		s->mapstage = 2;
		n = s->mapsize - s->mappos;
		if (!n)
			return false;
		s->buf = xcalloc(n + 1 + SRC_PAD, 1);
		memcpy(s->buf, s->map + s->mappos, n);
		if (s->buf[n - 1] != '\n')
			s->buf[n++] = '\n';
		*p = s->buf;
		*end = s->buf + n;
		return true;
	}
	return false;
}

bool src_next(struct src *s, char **p, char **end)
{
	char *nl;

	if (s->map)
		return map_next(s, p, end);
	for (;;) {
		if (s->eof) {
			if (s->pos == s->fill)
				return false;
			/* a last line without its newline */
			s->buf[s->fill++] = '\n';
			*p = s->buf + s->pos;
			*end = s->buf + s->fill;
			s->pos = s->fill;
			return true;
		}
		if (s->pos) {
			memmove(s->buf, s->buf + s->pos, s->fill - s->pos);
			s->fill -= s->pos;
			s->pos = 0;
		}
		if (s->fill == s->cap) {
			/* a line longer than the buffer: rare, just grow */
			s->cap *= 2;
			s->buf = xrealloc(s->buf, s->cap + SRC_PAD);
			memset(s->buf + s->fill, 0, s->cap + SRC_PAD - s->fill);
		}
		size_t n = xread(s, s->buf + s->fill, s->cap - s->fill);

		if (!n) {
			s->eof = true;
			continue;
		}
		s->fill += n;
		nl = memrchr(s->buf, '\n', s->fill);
		if (!nl)
			continue;
		*p = s->buf;
		*end = nl + 1;
		s->pos = (size_t)(*end - s->buf);
		return true;
	}
}

bool src_first_line(struct src *s, const char **line, size_t *len)
{
	const char *nl;

	if (s->map) {
		nl = memchr(s->map, '\n', s->mapsize);
		*line = s->map;
		*len = nl ? (size_t)(nl - s->map) : s->mapsize;
		return true;
	}
	/* Fill the buffer until it holds the first line (or all input). */
	while (!s->eof && !memchr(s->buf, '\n', s->fill)) {
		size_t n;

		if (s->fill == s->cap) {
			s->cap *= 2;
			s->buf = xrealloc(s->buf, s->cap + SRC_PAD);
			memset(s->buf + s->fill, 0, s->cap + SRC_PAD - s->fill);
		}
		n = xread(s, s->buf + s->fill, s->cap - s->fill);
		if (!n)
			s->eof = true;
		s->fill += n;
	}
	if (!s->fill)
		return false;
	nl = memchr(s->buf, '\n', s->fill);
	*line = s->buf;
	*len = nl ? (size_t)(nl - s->buf) : s->fill;
	return true;
}
