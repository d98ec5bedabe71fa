// SPDX-License-Identifier: GPL-2.0
/*
 * Memorizer's debugfs interface, /sys/kernel/debug/memorizer/ (root only):
 * the controls, the kmap and its CSV twin, and the statistics.
 *
 * The record is printed by walking the pool's slots in order; a seq_file
 * position is a slot index, so a read streams any number of objects in
 * page-sized pieces and recording goes on meanwhile.  The catch-all
 * objects, which live outside the pool, follow the slots.  Reporting holds
 * mz_report_lock against clearing, which recycles descriptors, and retiring,
 * which moves counter records.
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/kstrtox.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "memorizer.h"

/* Parse a control value: a short word, an optional newline, nothing else. */
static int mz_get_word(const char __user *ubuf, size_t count, char *buf, size_t size)
{
	if (!count || count >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (buf[count - 1] == '\n')
		buf[count - 1] = '\0';
	return buf[0] ? 0 : -EINVAL;
}

/* A boolean control; private_data points at the flag. */
static ssize_t mz_bool_read(struct file *f, char __user *ubuf, size_t count, loff_t *ppos)
{
	char buf[3] = { READ_ONCE(*(bool *)f->private_data) ? '1' : '0', '\n' };

	return simple_read_from_buffer(ubuf, count, ppos, buf, 2);
}

/* Read a boolean written to a control file. */
static int mz_get_bool(const char __user *ubuf, size_t count, bool *val)
{
	char buf[8];
	int ret = mz_get_word(ubuf, count, buf, sizeof(buf));

	return ret ? ret : mz_parse_bool(buf, val);
}

static ssize_t mz_bool_write(struct file *f, const char __user *ubuf, size_t count,
			     loff_t *ppos)
{
	bool val;
	int ret = mz_get_bool(ubuf, count, &val);

	if (ret)
		return ret;
	WRITE_ONCE(*(bool *)f->private_data, val);
	return count;
}

static const struct file_operations mz_bool_fops = {
	.open = simple_open,
	.read = mz_bool_read,
	.write = mz_bool_write,
	.llseek = default_llseek,
};

/* log_accesses_enabled also switches KASAN's call into the recorder. */
static ssize_t mz_log_write(struct file *f, const char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	bool val;
	int ret = mz_get_bool(ubuf, count, &val);

	if (ret)
		return ret;
	mz_set_log_accesses(val);
	return count;
}

static const struct file_operations mz_log_fops = {
	.open = simple_open,
	.read = mz_bool_read,
	.write = mz_log_write,
	.llseek = default_llseek,
};

/* memorizer_enabled: 0, 1, 2, 3 or a pid (tasks.c). */
static ssize_t mz_enabled_read(struct file *f, char __user *ubuf, size_t count, loff_t *ppos)
{
	char buf[16];
	int n = scnprintf(buf, sizeof(buf), "%d\n", READ_ONCE(mz_enabled));

	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static ssize_t mz_enabled_write(struct file *f, const char __user *ubuf, size_t count,
				loff_t *ppos)
{
	char buf[16];
	int ret = mz_get_word(ubuf, count, buf, sizeof(buf)), val;

	if (!ret)
		ret = kstrtoint(buf, 10, &val);
	if (ret)
		return -EINVAL;
	ret = mz_set_mode(val);
	if (ret)
		return ret;
	mz_sync_key();
	return count;
}

static const struct file_operations mz_enabled_fops = {
	.open = simple_open,
	.read = mz_enabled_read,
	.write = mz_enabled_write,
	.llseek = default_llseek,
};

/* clear_dead_objects / clear_printed_objects: any write clears. */
static ssize_t mz_clear_write(struct file *f, const char __user *ubuf, size_t count,
			      loff_t *ppos)
{
	mutex_lock(&mz_report_lock);
	mz_clear(f->private_data != NULL);
	mutex_unlock(&mz_report_lock);
	return count;
}

static const struct file_operations mz_clear_fops = {
	.open = simple_open,
	.write = mz_clear_write,
	.llseek = noop_llseek,
};

/*
 * retire_exited: any write retires the exited tasks (retire.c), including
 * those reaped just before: a reaped task is freed after a grace period.
 */
static ssize_t mz_retire_write(struct file *f, const char __user *ubuf, size_t count,
			       loff_t *ppos)
{
	rcu_barrier();
	mz_retire();
	return count;
}

static const struct file_operations mz_retire_fops = {
	.open = simple_open,
	.write = mz_retire_write,
	.llseek = noop_llseek,
};

/*
 * A percentage control, 0 to 100: retire_threshold, the pool use from
 * which exited tasks are retired, and the reserves of the pool's two
 * kinds of slot (pool.c), which together may not exceed it.
 */
struct mz_pct_ctl {
	unsigned int *pct;
	int kind;		/* the reserve's kind, or -1 */
};

static struct mz_pct_ctl mz_threshold_ctl = { &mz_retire_threshold, -1 };
static struct mz_pct_ctl mz_reserve_ctl[MZ_NR_KINDS] = {
	{ &mz_reserve_pct[MZ_KIND_OBJ], MZ_KIND_OBJ },
	{ &mz_reserve_pct[MZ_KIND_ACC], MZ_KIND_ACC },
};

static ssize_t mz_pct_read(struct file *f, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	struct mz_pct_ctl *ctl = f->private_data;
	char buf[16];
	int n = scnprintf(buf, sizeof(buf), "%u\n", READ_ONCE(*ctl->pct));

	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static ssize_t mz_pct_write(struct file *f, const char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	struct mz_pct_ctl *ctl = f->private_data;
	char buf[16];
	unsigned int val;
	int ret = mz_get_word(ubuf, count, buf, sizeof(buf));

	if (!ret)
		ret = kstrtouint(buf, 10, &val);
	if (ret || val > 100)
		return -EINVAL;
	if (ctl->kind < 0)
		WRITE_ONCE(*ctl->pct, val);
	else
		ret = mz_set_reserve(ctl->kind, val);
	return ret ? ret : count;
}

static const struct file_operations mz_pct_fops = {
	.open = simple_open,
	.read = mz_pct_read,
	.write = mz_pct_write,
	.llseek = default_llseek,
};

/*
 * kmap, allocations and accesses.  Position 0 of the CSV files is their
 * header; then come slot indices (plus one in the CSV files), then the
 * catch-alls from MZ_POS_CATCHALL on.
 */
enum mz_out { MZ_OUT_KMAP, MZ_OUT_ALLOCATIONS, MZ_OUT_ACCESSES };

#define MZ_POS_CATCHALL	(1LL << 40)

/*
 * Reading kmap reports the freed objects it prints, but only once the
 * reader has received their whole text: seq_file formats records ahead of
 * what read() copies out, and what is left in its buffer when the reader
 * stops (head, a killed reader) was never seen.  Each freed object printed
 * waits here with the stream offset where its text ends; a later read()
 * or the release marks those the reader has consumed.  The queue is
 * bounded: when it is full, a read() returns what it has.
 */
#define MZ_KMAP_PENDING	256

struct mz_pending {
	struct mz_obj *o;
	u64 alloc_index;	/* the slot may have been recycled since */
	loff_t end;
};

struct mz_kmap_iter {
	enum mz_out out;
	u64 folded;	/* mz_index_now() before the last fold */
	loff_t base;	/* stream offset of the seq_file buffer; -1: no marking */
	bool seeked;	/* the reader moved: it does not consume in order */
	unsigned int head, nr;
	struct mz_pending pending[MZ_KMAP_PENDING];
};

/* Mark the queued objects whose text ends by @upto.  mz_report_lock held. */
static void mz_mark_delivered(struct mz_kmap_iter *it, loff_t upto)
{
	while (it->nr) {
		struct mz_pending *p = &it->pending[it->head];

		if (p->end > upto)
			break;
		/* clearing, under the same lock, may have recycled the slot */
		if (smp_load_acquire(&p->o->state) == MZ_FREED &&
		    READ_ONCE(p->o->alloc_index) == p->alloc_index)
			mz_flags_update(p->o, MZ_F_PRINTED, 0);
		it->head = (it->head + 1) % MZ_KMAP_PENDING;
		it->nr--;
	}
}

static bool mz_printable(const struct mz_obj *o)
{
	/* pairs with the recorder's release of the state */
	u8 st = smp_load_acquire(&o->state);

	return st == MZ_FREED || (st == MZ_LIVE && READ_ONCE(mz_log_live));
}

static void *mz_seek(struct seq_file *m, loff_t *pos)
{
	enum mz_out out = ((struct mz_kmap_iter *)m->private)->out;
	bool csv = out != MZ_OUT_KMAP;
	unsigned long i, n = mz_pool_high_water(&mz_pool);

	if (csv && *pos == 0)
		return SEQ_START_TOKEN;
	if (*pos < MZ_POS_CATCHALL) {
		for (i = *pos - csv; i < n; i++) {
			struct mz_obj *o = mz_pool_slot(&mz_pool, i);

			if (mz_printable(o)) {
				*pos = i + csv;
				return o;
			}
		}
		*pos = MZ_POS_CATCHALL;
	}
	/* catch-alls: only those that were charged an access */
	for (i = *pos - MZ_POS_CATCHALL; i < NR_MEMORIZER_TYPES; i++) {
		if (READ_ONCE(mz_catchall(i)->acc)) {
			*pos = MZ_POS_CATCHALL + i;
			return mz_catchall(i);
		}
	}
	*pos = MZ_POS_CATCHALL + NR_MEMORIZER_TYPES;
	return NULL;
}

static void *mz_kmap_start(struct seq_file *m, loff_t *pos)
{
	struct mz_kmap_iter *it = m->private;

	mutex_lock(&mz_report_lock);
	if (!READ_ONCE(mz_ready))
		return NULL;
	it->folded = mz_index_now();
	mz_access_fold();
	return mz_seek(m, pos);
}

static void *mz_kmap_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return mz_seek(m, pos);
}

static void mz_kmap_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&mz_report_lock);
}

static int mz_kmap_show(struct seq_file *m, void *v)
{
	struct mz_kmap_iter *it = m->private;
	enum mz_out out = it->out;
	struct mz_obj *o = v, snap;
	u8 st;

	if (it->base >= 0) {
		/* the buffer's earlier content has reached the reader */
		mz_mark_delivered(it, it->base);
		/* full: end this read here, the record comes first in the next */
		if (it->nr == MZ_KMAP_PENDING && m->count)
			return -ENOSPC;
	}
	if (v == SEQ_START_TOKEN) {
		if (out == MZ_OUT_ACCESSES)
			seq_puts(m, "obj_va_ptr,alloc_index,access_ip,write_count,read_count,access_pid,access_command\n");
		else
			seq_puts(m, "alloc_ip,pid,obj_va_ptr,size,alloc_index,free_index,free_ip,alloc_type,command,slabname,new_alloc_type\n");
		return 0;
	}
	/*
	 * A descriptor's free fields are complete once its state reads
	 * FREED; one freed while we copy it is printed as still live.
	 */
	st = smp_load_acquire(&o->state);
	if (st == MZ_FREE)
		return 0;
	snap = *o;
	snap.state = st;
	if (out != MZ_OUT_ACCESSES)
		mz_format_obj(m, &snap, mz_name(&mz_comms, snap.comm),
			      snap.cache ? mz_name(&mz_caches, snap.cache) : NULL);
	if (out != MZ_OUT_ALLOCATIONS)
		mz_format_accesses(m, o, out == MZ_OUT_ACCESSES);
	/*
	 * Reading kmap reports freed objects (clear_printed_objects drops
	 * them) once the reader has them; one freed since the fold may have
	 * counts still waiting in a hit cache, so it is reported again next
	 * time.  seq_file drops an overflowing record and shows it again.
	 */
	if (out == MZ_OUT_KMAP && snap.state == MZ_FREED && it->base >= 0 &&
	    it->nr < MZ_KMAP_PENDING && snap.free_index < it->folded &&
	    !seq_has_overflowed(m)) {
		struct mz_pending *p = &it->pending[(it->head + it->nr) % MZ_KMAP_PENDING];

		*p = (struct mz_pending){ o, snap.alloc_index, it->base + m->count };
		it->nr++;
	}
	return 0;
}

static const struct seq_operations mz_kmap_sops = {
	.start = mz_kmap_start,
	.next = mz_kmap_next,
	.stop = mz_kmap_stop,
	.show = mz_kmap_show,
};

static int mz_kmap_open(struct inode *inode, struct file *file)
{
	struct mz_kmap_iter *it = __seq_open_private(file, &mz_kmap_sops, sizeof(*it));

	if (!it)
		return -ENOMEM;
	it->out = (long)inode->i_private;
	it->base = -1;
	return 0;
}

static ssize_t mz_kmap_read(struct file *file, char __user *ubuf, size_t size,
			    loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct mz_kmap_iter *it = m->private;
	ssize_t ret;

	/*
	 * seq_read() first copies out what an earlier read left in the
	 * buffer; records it formats now start after that.  A reader that
	 * moved (lseek, pread) does not read the stream in order: nothing it
	 * reads is marked.
	 */
	if (it->seeked || *ppos != m->read_pos)
		it->seeked = true;
	else
		it->base = m->read_pos + m->count;
	ret = seq_read(file, ubuf, size, ppos);
	it->base = -1;
	mutex_lock(&mz_report_lock);
	mz_mark_delivered(it, m->read_pos);
	mutex_unlock(&mz_report_lock);
	return ret;
}

static loff_t mz_kmap_llseek(struct file *file, loff_t offset, int whence)
{
	struct seq_file *m = file->private_data;
	struct mz_kmap_iter *it = m->private;
	loff_t was = m->read_pos, ret = seq_lseek(file, offset, whence);

	if (ret != was)
		it->seeked = true;
	return ret;
}

static int mz_kmap_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	/* what the reader consumed is reported; what it left is not */
	mutex_lock(&mz_report_lock);
	mz_mark_delivered(m->private, m->read_pos);
	mutex_unlock(&mz_report_lock);
	return seq_release_private(inode, file);
}

static const struct file_operations mz_kmap_fops = {
	.open = mz_kmap_open,
	.read = mz_kmap_read,
	.llseek = mz_kmap_llseek,
	.release = mz_kmap_release,
};

/* Accesses charged to the catch-alls, from their records; report lock held. */
static unsigned long mz_catchall_accesses(void)
{
	unsigned long sum = 0;
	struct mz_acc *r;
	int t;

	for (t = 0; t < NR_MEMORIZER_TYPES; t++)
		for (r = READ_ONCE(mz_catchall(t)->acc); r; r = READ_ONCE(r->onext))
			sum += arch_atomic_long_read(&r->reads) +
			       arch_atomic_long_read(&r->writes);
	return sum;
}

static int mz_stats_show(struct seq_file *m, void *v)
{
	unsigned long live[NR_MEMORIZER_TYPES] = {}, freed[NR_MEMORIZER_TYPES] = {};
	unsigned long i, n, nlive = 0, nfreed = 0, nacc = 0, rec = 0, drop = 0, used;
	unsigned long catchall;
	struct mz_stats s;
	int t;

	if (!READ_ONCE(mz_ready)) {
		seq_puts(m, "disabled: no pool\n");
		return 0;
	}
	mutex_lock(&mz_report_lock);
	mz_access_fold();
	catchall = mz_catchall_accesses();
	mutex_unlock(&mz_report_lock);
	mz_stats_sum(&s);
	n = mz_pool_high_water(&mz_pool);
	for (i = 0; i < n; i++) {
		struct mz_obj *o = mz_pool_slot(&mz_pool, i);
		/* pairs with the recorder's release of the state */
		u8 st = smp_load_acquire(&o->state), type = READ_ONCE(o->type);

		if (st == MZ_ACC)
			nacc++;
		if (type >= NR_MEMORIZER_TYPES)
			continue;
		if (st == MZ_LIVE)
			live[type]++;
		else if (st == MZ_FREED)
			freed[type]++;
	}
	for (t = 0; t < NR_MEMORIZER_TYPES; t++) {
		nlive += live[t];
		nfreed += freed[t];
		rec += s.recorded[t];
		drop += s.dropped[t];
	}
	used = mz_pool_used(&mz_pool);
	seq_printf(m, "recording: %d\n", READ_ONCE(mz_enabled));
	seq_printf(m, "index_now: %llu\n", mz_index_now());
	seq_printf(m, "objects_tracked: %lu\n", nlive + nfreed);
	seq_printf(m, "objects_live: %lu\n", nlive);
	seq_printf(m, "objects_freed: %lu\n", nfreed);
	seq_printf(m, "objects_cleared: %lu\n", arch_atomic_long_read(&mz_cleared));
	seq_printf(m, "events_seen: %lu\n", rec + drop);
	seq_printf(m, "events_recorded: %lu\n", rec);
	seq_printf(m, "events_dropped: %lu\n", drop);
	seq_printf(m, "frees_recorded: %lu\n", s.frees);
	seq_printf(m, "frees_unseen: %lu\n", s.unseen);
	seq_printf(m, "accesses_logging: %d\n", READ_ONCE(mz_log_accesses));
	if (IS_ENABLED(CONFIG_MEMORIZER_STATS)) {
		seq_printf(m, "accesses_recorded: %lu\n", s.reads + s.writes);
		seq_printf(m, "accesses_read: %lu\n", s.reads);
		seq_printf(m, "accesses_written: %lu\n", s.writes);
		seq_printf(m, "accesses_catchall: %lu\n", catchall);
		seq_printf(m, "accesses_recorder: %lu\n", s.acc_recorder);
		seq_printf(m, "accesses_looked_up: %lu\n", s.lookups);
	}
	seq_printf(m, "accesses_dropped: %lu\n", s.acc_dropped);
	seq_printf(m, "accesses_nmi: %lu\n", s.acc_nmi);
	seq_printf(m, "accesses_idle: %lu\n", s.acc_idle);
	seq_printf(m, "access_records: %lu\n", nacc);
	seq_printf(m, "tasks_exited_queued: %u\n", mz_retire_queued());
	seq_printf(m, "tasks_retired: %ld\n", arch_atomic_long_read(&mz_tasks_retired));
	seq_printf(m, "tasks_unqueued: %ld\n", arch_atomic_long_read(&mz_tasks_unqueued));
	seq_printf(m, "records_retired: %ld\n", arch_atomic_long_read(&mz_records_retired));
	seq_printf(m, "retire_runs: %ld\n", arch_atomic_long_read(&mz_retire_runs));
	seq_printf(m, "retire_usecs: %ld\n", arch_atomic_long_read(&mz_retire_usecs));
	seq_printf(m, "stream_overflow: %ld\n", arch_atomic_long_read(&mz_stream_overflow));
	seq_printf(m, "globals_unindexed: %lu\n", s.globals_unindexed);
	seq_printf(m, "names_overflow: %lu\n",
		   arch_atomic_long_read(&mz_comms.overflow) + arch_atomic_long_read(&mz_caches.overflow));
	seq_printf(m, "pool_bytes: %lu\n", mz_pool.nr_slots * MZ_SLOT_SIZE);
	seq_printf(m, "pool_descriptor_bytes: %d\n", MZ_SLOT_SIZE);
	seq_printf(m, "pool_slots: %lu\n", mz_pool.nr_slots);
	seq_printf(m, "pool_slots_used: %lu\n", used);
	seq_printf(m, "pool_slots_free: %lu\n", mz_pool.nr_slots - used);
	seq_printf(m, "pool_slots_objects: %lu\n", mz_pool_in_use(&mz_pool, MZ_KIND_OBJ));
	seq_printf(m, "pool_slots_accesses: %lu\n", mz_pool_in_use(&mz_pool, MZ_KIND_ACC));
	seq_printf(m, "pool_slots_reserved_objects: %lu\n",
		   READ_ONCE(mz_pool.reserve[MZ_KIND_OBJ]));
	seq_printf(m, "pool_slots_reserved_accesses: %lu\n",
		   READ_ONCE(mz_pool.reserve[MZ_KIND_ACC]));
	seq_printf(m, "metadata_bytes: %lu\n", mz_metadata_bytes());
	seq_puts(m, "type recorded dropped live freed\n");
	for (t = 0; t < NR_MEMORIZER_TYPES; t++)
		if (s.recorded[t] || s.dropped[t] || live[t] || freed[t])
			seq_printf(m, "%s %lu %lu %lu %lu\n", mz_type_name(t),
				   s.recorded[t], s.dropped[t], live[t], freed[t]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mz_stats);

static int __init memorizer_debugfs_init(void)
{
	struct dentry *d;

	if (!mz_ready)
		return 0;
	mz_globals_late_init();
	mz_retire_late_init();
	d = debugfs_create_dir("memorizer", NULL);
	debugfs_create_file("memorizer_enabled", 0600, d, NULL, &mz_enabled_fops);
	debugfs_create_file("log_accesses_enabled", 0600, d, &mz_log_accesses, &mz_log_fops);
	debugfs_create_file("memorizer_log_access", 0600, d, &mz_log_accesses, &mz_log_fops);
	debugfs_create_file("log_live_enabled", 0600, d, &mz_log_live, &mz_bool_fops);
	debugfs_create_file("print_live_obj", 0600, d, &mz_log_live, &mz_bool_fops);
	debugfs_create_file("verbose_warnings_enabled", 0600, d, &mz_verbose, &mz_bool_fops);
	debugfs_create_file("clear_dead_objects", 0200, d, NULL, &mz_clear_fops);
	debugfs_create_file("clear_dead_objs", 0200, d, NULL, &mz_clear_fops);
	debugfs_create_file("clear_printed_objects", 0200, d, (void *)1, &mz_clear_fops);
	debugfs_create_file("clear_printed_list", 0200, d, (void *)1, &mz_clear_fops);
	debugfs_create_file("kmap", 0400, d, (void *)MZ_OUT_KMAP, &mz_kmap_fops);
	debugfs_create_file("allocations", 0400, d, (void *)MZ_OUT_ALLOCATIONS, &mz_kmap_fops);
	debugfs_create_file("accesses", 0400, d, (void *)MZ_OUT_ACCESSES, &mz_kmap_fops);
	debugfs_create_file("kmap_stream", 0400, d, NULL, &mz_stream_fops);
	debugfs_create_file("stats", 0400, d, NULL, &mz_stats_fops);
	debugfs_create_file("retire_exited", 0200, d, NULL, &mz_retire_fops);
	debugfs_create_file("retire_threshold", 0600, d, &mz_threshold_ctl, &mz_pct_fops);
	debugfs_create_file("reserve_objects", 0600, d, &mz_reserve_ctl[MZ_KIND_OBJ],
			    &mz_pct_fops);
	debugfs_create_file("reserve_accesses", 0600, d, &mz_reserve_ctl[MZ_KIND_ACC],
			    &mz_pct_fops);
	mz_selftest_init(d);
	return 0;
}
late_initcall(memorizer_debugfs_init);
