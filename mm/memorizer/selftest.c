// SPDX-License-Identifier: GPL-2.0
/*
 * The exactness self-test: writing "run" to debugfs memorizer/selftest
 * allocates a known set of objects from every allocator family, each at a
 * known call site with a known size, and frees a known subset.  Reading
 * selftest lists them, so a test can check the kmap holds exactly these
 * objects with the right sizes, types, caches, states and call sites.
 *
 * Each family has its own noinline function, which is the alloc and free
 * call site the kmap must name.  Every object is also read and written a
 * known number of times by mz_st_read() and mz_st_write(), the access
 * call sites.  This file is KASAN-instrumented like any kernel code,
 * unlike the rest of the recorder.
 *
 * Writing "smp" starts one kernel thread per online CPU, bound to it; all
 * write one shared object MZ_ST_SMP_WRITES times at once, so the object's
 * counters see concurrent increments from every CPU.
 *
 * Writing "overlap" stages the internal error the recorder reports: a page
 * whose free the recorder misses.  mz_selftest_overlap() allocates a page,
 * then reports the same page allocated again, as if a free path were not
 * hooked; the kmap shows the first object closed with free_ip deadbeef, and
 * verbose_warnings_enabled decides between a pr_warn() and a WARN().
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "../slab.h"
#include "memorizer.h"

struct mz_st_obj {
	const char *name;
	const void *va;
	u64 index;		/* its alloc_index in the record */
	size_t size;
	enum memorizer_type type;
	const char *cache;
	bool freed;
	const char *alloc_fn;
	const char *free_fn;	/* NULL: freed asynchronously */
	int reads, writes;	/* by mz_st_read() and mz_st_write() */
};

#define MZ_ST_MAX 32
static struct mz_st_obj st[MZ_ST_MAX];
static int nr_st;
static DEFINE_MUTEX(st_lock);
static struct kmem_cache *st_cache;
static u64 st_first, st_last;	/* alloc_index range of the last run */

/* The shared object of the last "smp" run, and how it was written. */
#define MZ_ST_SMP_WRITES 10000
static void *st_smp_obj;
static u64 st_smp_index;
static unsigned int st_smp_threads;
static DECLARE_COMPLETION(st_smp_done);

/* A global KASAN registers; the kmap must show it as GLOBAL, 40 bytes. */
static char mz_selftest_global[40];

struct mz_st_rcu {
	struct rcu_head rcu;
	char payload[48];
};

/* @n instrumented 4-byte loads of @p: the access call site for reads. */
static noinline __noclone u32 mz_st_read(const void *p, int n)
{
	u32 sum = 0;

	while (n-- > 0) {
		sum += *(const u32 *)p;
		barrier();
	}
	return sum;
}

/* @n instrumented 4-byte stores to @p: the access call site for writes. */
static noinline __noclone void mz_st_write(void *p, int n)
{
	while (n-- > 0) {
		*(u32 *)p = n;
		barrier();
	}
}

/*
 * Record a test object and touch it: the i-th is read 2 + i % 5 times and
 * written 1 + i % 3 times (@touch false: another entry's memory).
 */
static void st_add_obj(const char *name, const void *va, size_t size,
		       enum memorizer_type type, const char *alloc_fn, bool touch)
{
	struct mz_st_obj *o = &st[nr_st];
	struct slab *slab;

	*o = (struct mz_st_obj){ name, va, 0, size, type, NULL, false, alloc_fn, NULL };
	o->index = mz_alloc_index_of(va, mz_type_nested(type));
	if (touch) {
		o->reads = 2 + nr_st % 5;
		o->writes = 1 + nr_st % 3;
		mz_st_read(va, o->reads);
		mz_st_write((void *)va, o->writes);
	}
	nr_st++;
	if (virt_addr_valid(va)) {
		slab = virt_to_slab(va);
		if (slab)
			o->cache = slab->slab_cache->name;
	}
}

static void st_add(const char *name, const void *va, size_t size,
		   enum memorizer_type type, const char *alloc_fn)
{
	st_add_obj(name, va, size, type, alloc_fn, true);
}

static void st_freed(int i, const char *free_fn)
{
	st[i].freed = true;
	st[i].free_fn = free_fn;
}

static noinline void mz_selftest_kmalloc(void)
{
	void *a = kmalloc(100, GFP_KERNEL), *b = kmalloc(200, GFP_KERNEL);
	void *c = kmalloc_node(300, GFP_KERNEL, 0);
	void *big = kmalloc(3 * PAGE_SIZE + 100, GFP_KERNEL);

	st_add("kmalloc-live", a, 100, MZ_MEM_KMALLOC, __func__);
	st_add("kmalloc-freed", b, 200, MZ_MEM_KMALLOC, __func__);
	st_add("kmalloc-node", c, 300, MZ_MEM_KMALLOC_ND, __func__);
	st_add("kmalloc-large", big, 3 * PAGE_SIZE + 100, MZ_MEM_KMALLOC, __func__);
	/* The pages under it: allocated and freed inside the slab code. */
	st_add_obj("kmalloc-large-pages", big, 4 * PAGE_SIZE, MZ_MEM_ALLOC_PAGES, "", false);
	kfree(b);
	st_freed(nr_st - 4, __func__);
	kfree(c);
	st_freed(nr_st - 3, __func__);
	kfree(big);
	st_freed(nr_st - 2, __func__);
	st_freed(nr_st - 1, "");
}

static noinline void mz_selftest_cache(void)
{
	void *a = kmem_cache_alloc(st_cache, GFP_KERNEL);
	void *b = kmem_cache_alloc(st_cache, GFP_KERNEL);
	void *c = kmem_cache_alloc_node(st_cache, GFP_KERNEL, 0);
	void *bulk[3];
	int i;

	st_add("cache-live", a, 72, MZ_MEM_KMEM_CACHE, __func__);
	st_add("cache-freed", b, 72, MZ_MEM_KMEM_CACHE, __func__);
	st_add("cache-node", c, 72, MZ_MEM_KMEM_CACHE_ND, __func__);
	kmem_cache_free(st_cache, b);
	st_freed(nr_st - 2, __func__);
	if (kmem_cache_alloc_bulk(st_cache, GFP_KERNEL, 3, bulk) != 3)
		return;
	for (i = 0; i < 3; i++)
		st_add(i ? "cache-bulk-freed" : "cache-bulk-live", bulk[i], 72,
		       MZ_MEM_KMEM_CACHE_BULK, __func__);
	kmem_cache_free_bulk(st_cache, 2, &bulk[1]);
	st_freed(nr_st - 2, __func__);
	st_freed(nr_st - 1, __func__);
}

static noinline void mz_selftest_pages(void)
{
	struct page *p = alloc_pages(GFP_KERNEL, 1), *q = alloc_pages(GFP_KERNEL, 0);
	unsigned long gfp = __get_free_pages(GFP_KERNEL, 0);
	void *exact = alloc_pages_exact(5000, GFP_KERNEL);
	struct folio *folio = folio_alloc(GFP_KERNEL, 2);

	if (p)
		st_add("pages-live", page_address(p), 2 * PAGE_SIZE, MZ_MEM_ALLOC_PAGES, __func__);
	if (q) {
		st_add("pages-freed", page_address(q), PAGE_SIZE, MZ_MEM_ALLOC_PAGES, __func__);
		__free_pages(q, 0);
		st_freed(nr_st - 1, __func__);
	}
	if (gfp) {
		st_add("getfreepages-freed", (void *)gfp, PAGE_SIZE,
		       MZ_MEM_ALLOC_PAGES_GETFREEPAGES, __func__);
		/* free_pages() tail-calls __free_pages(): credited to us */
		free_pages(gfp, 0);
		st_freed(nr_st - 1, __func__);
	}
	if (exact)
		st_add("pages-exact-live", exact, 5000, MZ_MEM_ALLOC_PAGES_EXACT, __func__);
	if (folio) {
		st_add("folio-freed", folio_address(folio), 4 * PAGE_SIZE,
		       MZ_MEM_ALLOC_PAGES_FOLIO, __func__);
		folio_put(folio);
		st_freed(nr_st - 1, NULL);
	}
}

static noinline void mz_selftest_vmalloc(void)
{
	void *a = vmalloc(3 * PAGE_SIZE), *b = vmalloc(PAGE_SIZE);

	st_add("vmalloc-live", a, 3 * PAGE_SIZE, MZ_MEM_VMALLOC, __func__);
	st_add("vmalloc-freed", b, PAGE_SIZE, MZ_MEM_VMALLOC, __func__);
	vfree(b);
	st_freed(nr_st - 1, __func__);
	/* freed later, by a work item: the free is seen when it is asked */
	b = vmalloc(2 * PAGE_SIZE);
	st_add("vmalloc-atomic-freed", b, 2 * PAGE_SIZE, MZ_MEM_VMALLOC, __func__);
	vfree_atomic(b);
	st_freed(nr_st - 1, __func__);
}

/* Objects that grow in place: the record follows their size. */
static noinline void mz_selftest_resize(void)
{
	void *a = kmalloc(100, GFP_KERNEL), *b = kmalloc(50, GFP_KERNEL);
	void *c = a ? krealloc(a, 120, GFP_KERNEL) : NULL;

	if (c)		/* in place: kmalloc-128 holds 120 bytes */
		st_add("krealloc-grown", c, 120, MZ_MEM_KMALLOC, __func__);
	else
		kfree(a);
	if (b)		/* kmalloc-64: ksize() hands out all of it */
		st_add("ksize-grown", b, ksize(b), MZ_MEM_KMALLOC, __func__);
}

static noinline void mz_selftest_kfree_rcu(void)
{
	struct mz_st_rcu *r = kmalloc(sizeof(*r), GFP_KERNEL);

	st_add("kfree-rcu", r, sizeof(*r), MZ_MEM_KMALLOC, __func__);
	kfree_rcu(r, rcu);
	st_freed(nr_st - 1, NULL);
}

/* Free what the last run left live, so runs can repeat. */
static void mz_selftest_release(void)
{
	int i;

	for (i = 0; i < nr_st; i++) {
		struct mz_st_obj *o = &st[i];

		if (o->freed || o->type == MZ_MEM_GLOBAL)
			continue;
		switch (o->type) {
		case MZ_MEM_KMALLOC:
		case MZ_MEM_KMALLOC_ND:
			kfree(o->va);
			break;
		case MZ_MEM_KMEM_CACHE:
		case MZ_MEM_KMEM_CACHE_ND:
		case MZ_MEM_KMEM_CACHE_BULK:
			kmem_cache_free(st_cache, (void *)o->va);
			break;
		case MZ_MEM_ALLOC_PAGES:
			__free_pages(virt_to_page(o->va), get_order(o->size));
			break;
		case MZ_MEM_ALLOC_PAGES_EXACT:
			free_pages_exact((void *)o->va, o->size);
			break;
		case MZ_MEM_VMALLOC:
			vfree(o->va);
			break;
		default:
			break;
		}
	}
	nr_st = 0;
}

static int mz_st_smp_thread(void *unused)
{
	mz_st_write(st_smp_obj, MZ_ST_SMP_WRITES);
	complete(&st_smp_done);
	return 0;
}

/* One writer thread per online CPU, all woken together.  st_lock held. */
static int mz_selftest_smp(void)
{
	struct task_struct *t[64];
	unsigned int cpu, i, n = 0;

	kfree(st_smp_obj);
	st_smp_obj = kmalloc(64, GFP_KERNEL);
	if (!st_smp_obj)
		return -ENOMEM;
	st_smp_index = mz_alloc_index_of(st_smp_obj, true);
	reinit_completion(&st_smp_done);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		if (n == ARRAY_SIZE(t))
			break;
		t[n] = kthread_create(mz_st_smp_thread, NULL, "mz_smp/%u", cpu);
		if (IS_ERR(t[n]))
			break;
		kthread_bind(t[n++], cpu);
	}
	cpus_read_unlock();
	for (i = 0; i < n; i++)
		wake_up_process(t[i]);
	for (i = 0; i < n; i++)
		wait_for_completion(&st_smp_done);
	st_smp_threads = n;
	return n ? 0 : -ENOMEM;
}

static noinline int mz_selftest_overlap(void)
{
	struct page *p = alloc_pages(GFP_KERNEL, 0);

	if (!p)
		return -ENOMEM;
	memorizer_alloc_pages(p, 0, _THIS_IP_);
	__free_pages(p, 0);
	return 0;
}

static ssize_t mz_selftest_write(struct file *f, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char buf[9] = {};
	int ret;

	if (count > sizeof(buf) - 1 || copy_from_user(buf, ubuf, count))
		return -EINVAL;
	if (!strcmp(strim(buf), "overlap")) {
		ret = mz_selftest_overlap();
		return ret ? ret : count;
	}
	if (!strcmp(strim(buf), "smp")) {
		mutex_lock(&st_lock);
		ret = mz_selftest_smp();
		mutex_unlock(&st_lock);
		return ret ? ret : count;
	}
	if (strcmp(strim(buf), "run"))
		return -EINVAL;
	mutex_lock(&st_lock);
	mz_selftest_release();
	if (!st_cache)
		st_cache = kmem_cache_create("memorizer_selftest", 72, 0, 0, NULL);
	if (st_cache) {
		st_first = mz_index_now() + 1;
		mz_selftest_kmalloc();
		mz_selftest_cache();
		mz_selftest_pages();
		mz_selftest_vmalloc();
		mz_selftest_resize();
		mz_selftest_kfree_rcu();
		st_last = mz_index_now();
		WRITE_ONCE(mz_selftest_global[0], 1);
		st_add("global", mz_selftest_global, sizeof(mz_selftest_global),
		       MZ_MEM_GLOBAL, "mz_selftest_global");
	}
	mutex_unlock(&st_lock);
	return st_cache ? count : -ENOMEM;
}

static int mz_selftest_show(struct seq_file *m, void *v)
{
	int i;

	seq_puts(m, "name,obj_va_ptr,alloc_index,size,alloc_type,slabname,state,alloc_fn,free_fn,reads,writes\n");
	mutex_lock(&st_lock);
	for (i = 0; i < nr_st; i++)
		seq_printf(m, "%s,%lx,%llu,%zu,%s,%s,%s,%s,%s,%d,%d\n", st[i].name,
			   (unsigned long)st[i].va, st[i].index, st[i].size,
			   mz_type_name(st[i].type), st[i].cache ?: "no-slab",
			   st[i].freed ? "freed" : "live", st[i].alloc_fn,
			   st[i].free_fn ?: "", st[i].reads, st[i].writes);
	/* Objects allocated by the run have alloc_index in this range. */
	seq_printf(m, "# alloc_index %llu %llu\n", st_first, st_last);
	if (st_smp_threads)
		seq_printf(m, "# smp %lx %llu %u %d\n", (unsigned long)st_smp_obj,
			   st_smp_index, st_smp_threads, MZ_ST_SMP_WRITES);
	mutex_unlock(&st_lock);
	return 0;
}

static int mz_selftest_open(struct inode *inode, struct file *file)
{
	return single_open(file, mz_selftest_show, NULL);
}

static const struct file_operations mz_selftest_fops = {
	.open = mz_selftest_open,
	.read = seq_read,
	.write = mz_selftest_write,
	.llseek = seq_lseek,
	.release = single_release,
};

void mz_selftest_init(struct dentry *dir)
{
	debugfs_create_file("selftest", 0600, dir, NULL, &mz_selftest_fops);
}
