// SPDX-License-Identifier: GPL-2.0
/*
 * Instruction pointers to "function+0xoff".
 *
 * The kernel records raw IPs only (a symbol name per object would cost
 * hundreds of bytes each), so names are found here from a System.map or a
 * copy of /proc/kallsyms: one sorted array, binary search, and a small
 * cache because the same few thousand IPs repeat millions of times.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmaptool.h"

struct sym {
	u64 addr;
	const char *name;
	const char *mod;	/* NULL for the core kernel */
	u32 order;		/* line in the file, for stable ties */
	bool global;
};

static struct sym *syms;
static size_t nsyms, capsyms;

/*
 * The last lookups, by IP (0, never looked up, marks a free entry): room
 * for the distinct access IPs of a large kmap, tens of thousands, which
 * summary folds once per (IP, cache) pair and filter once per line.
 */
#define CACHE_BITS 16
static struct { u64 ip; long idx; } cache[1u << CACHE_BITS];

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* At one address, prefer the global alias, then the first listed. */
	if (x->global != y->global)
		return x->global ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}

static bool is_text(char t)
{
	return t == 'T' || t == 't' || t == 'W' || t == 'w';
}

void syms_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0, nonzero = 0, total = 0;
	ssize_t len;

	if (!f)
		die("%s: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *p = line, *e, *name, *mod = NULL;
		u64 addr;
		char type;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		e = strchr(p, ' ');
		if (!e || !parse_hex(p, (size_t)(e - p), &addr) || e[1] == '\0' ||
		    e[2] != ' ' || e[3] == '\0' || e[3] == ' ' || e[3] == '\t')
			die("%s:%zu: expected 'ADDRESS TYPE NAME [MODULE]' "
			    "(System.map or /proc/kallsyms)", path, lineno);
		type = e[1];
		name = e + 3;
		e = name + strcspn(name, " \t");
		if (*e) {
			*e++ = '\0';
			e += strspn(e, " \t");
			if (*e == '[') {
				char *c = strchr(e, ']');

				if (c) {
					*c = '\0';
					mod = e + 1;
				}
			}
		}
		total++;
		nonzero += addr != 0;
		if (!is_text(type))
			continue;
		GROW(syms, capsyms, nsyms + 1);
		syms[nsyms].addr = addr;
		syms[nsyms].name = xstrdup(name);
		syms[nsyms].mod = mod ? xstrdup(mod) : NULL;
		syms[nsyms].order = (u32)lineno;
		syms[nsyms].global = type == 'T' || type == 'W';
		nsyms++;
	}
	free(line);
	fclose(f);
	if (total && !nonzero)
		die("%s: every address is 0: copy /proc/kallsyms as root", path);
	if (!nsyms)
		die("%s: no function symbols (expected System.map or "
		    "/proc/kallsyms lines)", path);
	sort_n(syms, nsyms, sizeof(*syms), cmp_sym);
	/* Keep one name per address. */
	size_t o = 0;

	for (size_t i = 0; i < nsyms; i++) {
		if (!o || syms[o - 1].addr != syms[i].addr) {
			syms[o++] = syms[i];
		} else {
			free((char *)syms[i].name);
			free((char *)syms[i].mod);
		}
	}
	nsyms = o;
}

long sym_index(u64 ip)
{
	size_t lo = 0, hi = nsyms;
	u32 h = (u32)((ip * 0x9e3779b97f4a7c15ull) >> (64 - CACHE_BITS));
	long idx;

	if (!nsyms || ip == 0 || ip < syms[0].addr)
		return -1;
	if (cache[h].ip == ip)
		return cache[h].idx;
	/* Last symbol at or below ip. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (syms[mid].addr <= ip)
			lo = mid;
		else
			hi = mid;
	}
	idx = (long)lo;
	cache[h].ip = ip;
	cache[h].idx = idx;
	return idx;
}

void sym_format(u64 ip, char *buf, size_t n)
{
	long i = sym_index(ip);

	if (i < 0) {
		snprintf(buf, n, "%llx", (unsigned long long)ip);
		return;
	}
	if (syms[i].mod)
		snprintf(buf, n, "%s+0x%llx [%s]", syms[i].name,
			 (unsigned long long)(ip - syms[i].addr), syms[i].mod);
	else
		snprintf(buf, n, "%s+0x%llx", syms[i].name,
			 (unsigned long long)(ip - syms[i].addr));
}

void sym_func_name(long idx, char *buf, size_t n)
{
	if (syms[idx].mod)
		snprintf(buf, n, "%s [%s]", syms[idx].name, syms[idx].mod);
	else
		snprintf(buf, n, "%s", syms[idx].name);
}

const char *sym_name(long idx)
{
	return syms[idx].name;
}

/* ---- file:line through addr2line --------------------------------------- */

static const char *vmlinux;
static FILE *a2l_in, *a2l_out;
static pid_t a2l_pid;
static struct hmap srccache;	/* ip -> index in srcs */
static char **srcs;
static size_t nsrcs, capsrcs;

void syms_set_vmlinux(const char *path)
{
	if (access(path, R_OK))
		die("%s: %s", path, strerror(errno));
	vmlinux = path;
	hmap_init(&srccache, 1024);
}

bool syms_have_src(void)
{
	return vmlinux != NULL;
}

/*
 * One long-lived addr2line answering one address at a time (it flushes
 * after each answer when reading stdin), so any number of IPs costs one
 * process and each distinct IP is asked once.
 */
static void a2l_start(void)
{
	int to[2], from[2];

	if (pipe(to) || pipe(from))
		die("pipe: %s", strerror(errno));
	a2l_pid = fork();
	if (a2l_pid < 0)
		die("fork: %s", strerror(errno));
	if (a2l_pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		execlp("addr2line", "addr2line", "-e", vmlinux, (char *)NULL);
		fprintf(stderr, KT_NAME ": addr2line: %s (install binutils)\n",
			strerror(errno));
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	signal(SIGPIPE, SIG_IGN);
	a2l_in = fdopen(to[1], "w");
	a2l_out = fdopen(from[0], "r");
	if (!a2l_in || !a2l_out)
		die("fdopen: %s", strerror(errno));
}

const char *sym_src(u64 ip)
{
	static char *line;
	static size_t cap;
	bool isnew;
	ssize_t len;
	u32 *v;
	char *p;

	if (!vmlinux)
		return "";
	v = hmap_put(&srccache, ip, 0, &isnew);
	if (!isnew)
		return srcs[*v];
	if (!a2l_in)
		a2l_start();
	fprintf(a2l_in, "0x%llx\n", (unsigned long long)ip);
	if (fflush(a2l_in))
		die("addr2line -e %s: stopped answering", vmlinux);
	len = getline(&line, &cap, a2l_out);
	if (len < 0)
		die("addr2line -e %s: no answer (is it a vmlinux with debug info?)",
		    vmlinux);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	p = strstr(line, " (discriminator");
	if (p)
		*p = '\0';
	p = strrchr(line, ':');
	if (line[0] == '?' || !p || p[1] == '?')
		line[0] = '\0';
	GROW(srcs, capsrcs, nsrcs + 1);
	srcs[nsrcs] = xstrdup(line);
	*v = (u32)nsrcs;
	return srcs[nsrcs++];
}

void syms_free(void)
{
	for (size_t i = 0; i < nsyms; i++) {
		free((char *)syms[i].name);
		free((char *)syms[i].mod);
	}
	free(syms);
	syms = NULL;
	nsyms = capsyms = 0;
	for (size_t i = 0; i < nsrcs; i++)
		free(srcs[i]);
	free(srcs);
	srcs = NULL;
	nsrcs = capsrcs = 0;
	if (srccache.slot)
		hmap_free(&srccache);
}
