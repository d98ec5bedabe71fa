// SPDX-License-Identifier: GPL-2.0
/*
 * kmap_stream: the kmap lines of objects as they are freed.  A reader
 * blocks for more instead of reaching the end of the file, and receives
 * each object freed while it reads exactly once.
 *
 * While the file is open, every free queues the object's slot index on
 * its CPU's ring: one producer (that CPU, interrupts off) and one consumer
 * (the reader), so neither side takes a lock.  A queued object stays in
 * the pool until the reader has printed it (clearing skips it).  A full
 * ring leaves the object out of the stream (it is still in kmap) and
 * counts it as stream_overflow in stats.  The reader polls the rings
 * every MZ_STREAM_POLL_MS rather than being woken by the free path, which
 * runs in any context, under any allocator lock.
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/delay.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "memorizer.h"

#define MZ_RING		4096	/* entries per CPU, a power of two */
#define MZ_STREAM_POLL_MS 50

struct mz_ring {
	u32 head;		/* next to write, by the producer */
	u32 tail;		/* next to read, by the consumer */
	u32 limit;		/* the consumer takes entries before it */
	u32 *slot;
};

static struct mz_ring *mz_rings;
static atomic_t mz_stream_open;
atomic_long_t mz_stream_overflow;

/* The reader's buffer: formatted lines not yet copied out. */
struct mz_stream_reader {
	char *buf;
	size_t size, len, off;
	struct mz_obj *pending;	/* taken off a ring, not yet printed */
};

/**
 * mz_stream_push - queue a just-freed object for the stream reader
 * @o: the object, whose state reads MZ_FREED
 *
 * Does nothing when nobody reads kmap_stream.  Any context but NMI.
 */
void mz_stream_push(struct mz_obj *o)
{
	struct mz_ring *r;
	unsigned long flags;
	u32 head;

	if (!mz_rings)
		return;
	/* interrupts off: the reader's release waits for us (RCU) */
	local_irq_save(flags);
	if (!arch_atomic_read(&mz_stream_open))
		goto out;
	r = &mz_rings[smp_processor_id()];
	head = r->head;
	/* the reader is done with the entries before its tail */
	if (head - smp_load_acquire(&r->tail) >= MZ_RING) {
		arch_atomic_long_inc(&mz_stream_overflow);
	} else {
		mz_flags_update(o, MZ_F_QUEUED, 0);
		r->slot[head & (MZ_RING - 1)] = ((void *)o - mz_pool.base) / MZ_SLOT_SIZE;
		/* the entry before the head that shows it */
		smp_store_release(&r->head, head + 1);
	}
out:
	local_irq_restore(flags);
}

/* Objects queued and not yet taken, on all CPUs. */
static unsigned long mz_stream_pending(void)
{
	unsigned long n = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		/* pairs with mz_stream_push() */
		n += smp_load_acquire(&mz_rings[cpu].head) - mz_rings[cpu].tail;
	}
	return n;
}

/*
 * Let the reader take the objects queued so far, once their counts are
 * all in their records: counts made through the access path's hit caches
 * before an object's free are folded after it was queued.
 */
static void mz_stream_snapshot(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		/* pairs with mz_stream_push(): the entries are written */
		mz_rings[cpu].limit = smp_load_acquire(&mz_rings[cpu].head);
	}
	mz_access_fold();
}

/* Take one object off any ring, up to the snapshot, or NULL. */
static struct mz_obj *mz_stream_pop(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct mz_ring *r = &mz_rings[cpu];
		u32 tail = r->tail;

		if (r->limit != tail) {
			u32 i = r->slot[tail & (MZ_RING - 1)];

			/* the entry is read before the producer may reuse it */
			smp_store_release(&r->tail, tail + 1);
			return mz_pool_slot(&mz_pool, i);
		}
	}
	return NULL;
}

/*
 * Format queued objects into the reader's buffer until it holds some
 * text.  Return: 0, or -ENOMEM (the object stays queued for a retry).
 */
static int mz_stream_fill(struct mz_stream_reader *rd)
{
	struct mz_obj *o, snap;
	struct seq_file m = {};
	char *bigger;

	mutex_lock(&mz_report_lock);
	rd->len = rd->off = 0;
	mz_stream_snapshot();
	while ((o = rd->pending ?: mz_stream_pop())) {
		rd->pending = NULL;
		for (;;) {
			m.buf = rd->buf;
			m.size = rd->size;
			m.count = rd->len;
			snap = *o;
			mz_format_obj(&m, &snap, mz_name(&mz_comms, snap.comm),
				      snap.cache ? mz_name(&mz_caches, snap.cache) : NULL);
			mz_format_accesses(&m, o, false);
			if (!seq_has_overflowed(&m))
				break;
			if (rd->len)	/* print it next time, alone */
				goto requeue;
			bigger = kvmalloc(rd->size * 2, GFP_KERNEL);
			if (!bigger)
				goto requeue;
			kvfree(rd->buf);
			rd->buf = bigger;
			rd->size *= 2;
		}
		rd->len = m.count;
		mz_flags_update(o, MZ_F_PRINTED, MZ_F_QUEUED);
		if (rd->len > rd->size / 2)
			break;
	}
	mutex_unlock(&mz_report_lock);
	return 0;

requeue:
	/* the ring slot is gone: keep the object for the next fill */
	rd->pending = o;
	mutex_unlock(&mz_report_lock);
	return rd->len ? 0 : -ENOMEM;
}

static ssize_t mz_stream_read(struct file *f, char __user *ubuf, size_t count,
			      loff_t *ppos)
{
	struct mz_stream_reader *rd = f->private_data;
	size_t n;
	int ret;

	while (rd->off == rd->len) {
		ret = mz_stream_fill(rd);
		if (ret)
			return ret;
		if (rd->len)
			break;
		if (f->f_flags & O_NONBLOCK)
			return -EAGAIN;
		while (!mz_stream_pending())
			if (msleep_interruptible(MZ_STREAM_POLL_MS))
				return -ERESTARTSYS;
	}
	n = min(count, rd->len - rd->off);
	if (copy_to_user(ubuf, rd->buf + rd->off, n))
		return -EFAULT;
	rd->off += n;
	*ppos += n;
	return n;
}

static int mz_stream_open_file(struct inode *inode, struct file *f)
{
	struct mz_stream_reader *rd;

	if (!mz_rings)
		return -ENOMEM;
	if (f->f_mode & FMODE_WRITE)
		return -EINVAL;
	if (arch_atomic_cmpxchg(&mz_stream_open, 0, 1))
		return -EBUSY;
	rd = kzalloc(sizeof(*rd), GFP_KERNEL);
	if (rd) {
		rd->size = 4 * PAGE_SIZE;
		rd->buf = kvmalloc(rd->size, GFP_KERNEL);
	}
	if (!rd || !rd->buf) {
		kfree(rd);
		arch_atomic_set(&mz_stream_open, 0);
		return -ENOMEM;
	}
	f->private_data = rd;
	return nonseekable_open(inode, f);
}

/* The last reader is gone: objects still queued go back to plain kmap. */
static int mz_stream_release(struct inode *inode, struct file *f)
{
	struct mz_stream_reader *rd = f->private_data;
	struct mz_obj *o;

	arch_atomic_set(&mz_stream_open, 0);
	synchronize_rcu();	/* frees that saw the file open are queued */
	mutex_lock(&mz_report_lock);
	if (rd->pending)
		mz_flags_update(rd->pending, 0, MZ_F_QUEUED);
	mz_stream_snapshot();
	while ((o = mz_stream_pop()))
		mz_flags_update(o, 0, MZ_F_QUEUED);
	mutex_unlock(&mz_report_lock);
	kvfree(rd->buf);
	kfree(rd);
	return 0;
}

const struct file_operations mz_stream_fops = {
	.open = mz_stream_open_file,
	.read = mz_stream_read,
	.release = mz_stream_release,
	.llseek = no_llseek,
};

/* Reserve the rings while memblock hands out memory. */
void __init mz_stream_init(void)
{
	unsigned int cpu;

	mz_rings = memblock_alloc(nr_cpu_ids * sizeof(*mz_rings), SMP_CACHE_BYTES);
	if (!mz_rings)
		return;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		mz_rings[cpu].slot = memblock_alloc(MZ_RING * sizeof(u32), PAGE_SIZE);
		if (!mz_rings[cpu].slot) {
			mz_rings = NULL;
			return;
		}
	}
}

/* Memory the rings took at boot. */
unsigned long mz_stream_meta_bytes(void)
{
	return mz_rings ? nr_cpu_ids * (sizeof(*mz_rings) + MZ_RING * sizeof(u32)) : 0;
}
