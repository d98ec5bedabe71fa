// SPDX-License-Identifier: GPL-2.0
/*
 * genkmap: a deterministic, kernel-like kmap of any size, for the streaming
 * test and the benchmark.  It also reports its own totals so that the test
 * can check kmaptool against numbers computed independently of it.
 *
 * Usage: genkmap [-l LINES | -b BYTES] [-s SEED] [-t TOTALS_FILE]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef uint64_t u64;

static u64 rng = 0x9e3779b97f4a7c15ull;

static u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static unsigned below(unsigned n)
{
	return (unsigned)((rnd() >> 32) % n);
}

static char obuf[1 << 20];
static size_t olen;
static u64 written;	/* bytes put so far */

static void flush_out(void)
{
	if (olen && fwrite(obuf, 1, olen, stdout) != olen) {
		perror("genkmap: write");
		exit(1);
	}
	olen = 0;
}

static void put(const char *s, size_t n)
{
	if (olen + n > sizeof(obuf))
		flush_out();
	memcpy(obuf + olen, s, n);
	olen += n;
	written += n;
}

static void puts_(const char *s)
{
	put(s, strlen(s));
}

static void put_hex(u64 v)
{
	char b[17];
	int i = 16;

	do {
		b[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	put(b + i, (size_t)(16 - i));
}

static void put_dec(u64 v)
{
	char b[21];
	int i = 20;

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(b + i, (size_t)(20 - i));
}

static const char *const comms[] = {
	"bash", "ls", "systemd", "kworker/0:1", "sshd", "cat", "swapper/0",
	"ksoftirqd/0", "jbd2/vda-8", "python3", "sh", "gcc", "make", "cc1",
};
#define NCOMMS (sizeof(comms) / sizeof(comms[0]))
static const unsigned sizes[] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096,
};
static const char *const caches[] = { "dentry", "inode_cache", "filp", "vm_area_struct",
	"anon_vma", "buffer_head", "task_struct", "ext4_inode_cache" };

int main(int argc, char **argv)
{
	u64 maxlines = 0, maxbytes = 0, lines = 0;
	u64 nobj = 0, live = 0, freed = 0, bytes = 0, nacc = 0, reads = 0, writes = 0;
	const char *totals = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "l:b:s:t:")) != -1) {
		switch (opt) {
		case 'l':
			maxlines = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			maxbytes = strtoull(optarg, NULL, 0);
			break;
		case 's':
			rng ^= strtoull(optarg, NULL, 0) * 0x9e3779b97f4a7c15ull;
			break;
		case 't':
			totals = optarg;
			break;
		default:
			fprintf(stderr, "usage: genkmap [-l LINES | -b BYTES] [-s SEED] [-t FILE]\n");
			return 2;
		}
	}
	if (!maxlines && !maxbytes)
		maxlines = 1000;

	for (u64 idx = 1;; idx++) {
		unsigned pid = 1 + below(300), k = below(100), size, nac;
		const char *comm = comms[pid % NCOMMS];
		char cachebuf[32];
		const char *type, *cache, *ntype = "";
		u64 free_index = 0, free_ip = 0;

		if ((maxlines && lines >= maxlines) || (maxbytes && written >= maxbytes))
			break;
		/* a pid that exec'd: allocates under its parent's name too */
		if (pid % 7 == 0 && below(4) == 0)
			comm = "bash";
		if (k < 3)
			comm = below(2) ? "softirq" : "hardirq";
		size = sizes[below(sizeof(sizes) / sizeof(sizes[0]))];
		k = below(100);
		if (k < 55) {
			type = k < 5 ? "7" : "KMALLOC";
			snprintf(cachebuf, sizeof(cachebuf), "kmalloc-%u", size);
			cache = cachebuf;
		} else if (k < 85) {
			type = "KMEM_CACHE";
			cache = caches[below(sizeof(caches) / sizeof(caches[0]))];
		} else if (k < 95) {
			type = "ALLOC_PAGES";
			cache = "no-slab";
			size = 4096;
			if (below(3) == 0)
				ntype = "KMALLOC";
		} else {
			type = "VMALLOC";
			cache = "no-slab";
			size = 8192;
		}
		if (below(5)) {
			free_index = idx + 1 + below(1000);
			free_ip = 0xffffffff81200000ull + below(2000) * 0x31ull;
		}
		put_hex(0xffffffff81000000ull + below(3000) * 0x47ull);
		put(",", 1);
		put_dec(pid);
		put(",", 1);
		put_hex(0xffff888000000000ull + idx * 0x40ull);
		put(",", 1);
		put_dec(size);
		put(",", 1);
		put_dec(idx);
		put(",", 1);
		put_dec(free_index);
		put(",", 1);
		put_hex(free_ip);
		put(",", 1);
		puts_(type);
		put(",", 1);
		puts_(comm);
		put(",", 1);
		puts_(cache);
		put(",", 1);
		puts_(ntype);
		put("\n", 1);
		lines++;
		nobj++;
		bytes += size;
		live += free_index == 0;
		freed += free_index != 0;
		nac = below(7);
		for (unsigned i = 0; i < nac; i++) {
			unsigned w = below(4) ? below(8) : 0, r = 1 + below(40);
			unsigned apid = below(5) ? pid : 1 + below(300);

			put("  ", 2);
			put_hex(0xffffffff81400000ull + below(8000) * 0x2bull);
			put(",", 1);
			put_dec(w);
			put(",", 1);
			put_dec(r);
			put(",", 1);
			put_dec(apid);
			put("\n", 1);
			lines++;
			nacc++;
			reads += r;
			writes += w;
		}
	}
	flush_out();
	if (totals) {
		FILE *f = fopen(totals, "w");

		if (!f) {
			perror(totals);
			return 1;
		}
		fprintf(f, "objects: %llu (live %llu, freed %llu), %llu bytes\n",
			(unsigned long long)nobj, (unsigned long long)live,
			(unsigned long long)freed, (unsigned long long)bytes);
		fprintf(f, "accesses: %llu lines, %llu reads, %llu writes\n",
			(unsigned long long)nacc, (unsigned long long)reads,
			(unsigned long long)writes);
		fprintf(f, "lines: %llu\n", (unsigned long long)lines);
		fclose(f);
	}
	return 0;
}
