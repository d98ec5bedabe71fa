// SPDX-License-Identifier: GPL-2.0
/*
 * Whom Memorizer records: memorizer_enabled's modes and the per-task mark.
 *
 *   0    nothing;
 *   1    every task and interrupt context;
 *   2    marked tasks and interrupt context;
 *   3    marked tasks only;
 *   PID  (above 3) like 3; the write marks that process.
 *
 * Writing 2 or 3 marks the writing process, writing a pid marks that
 * process, and /proc/<pid>/memorizer_enabled marks or unmarks any task.
 * Marking needs CAP_SYS_ADMIN, as the debugfs controls need root: a mark
 * makes the kernel record the addresses and call sites of the kernel
 * objects a task touches, and a task that could unmark itself could hide
 * from an experiment.  Owning the task's /proc files is not enough.
 * The mark is a task_struct field, so children forked afterwards inherit
 * it.  Writing 0 ends the experiment: every mark is cleared.  A walk over
 * the tasks alone cannot do that: fork copies the parent's mark into a
 * child before the child is on the task list, so the walk may miss it.
 * So a mark holds the epoch it was set in, and writing 0 first starts a
 * new epoch (every older mark is void at once), then clears the old marks
 * so that none survives until the 8-bit epoch comes round again.
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/uaccess.h>
/* get_proc_task(): the file is an entry of fs/proc/base.c's tables */
#include "../../fs/proc/internal.h"
#include "memorizer.h"

u8 mz_mark_epoch __read_mostly = 1;
static DEFINE_MUTEX(mz_mark_lock);	/* serialises marking with new epochs */

static void mz_mark(struct task_struct *t, bool on)
{
	WRITE_ONCE(t->memorizer_enabled, on ? READ_ONCE(mz_mark_epoch) : 0);
}

static void mz_unmark_all(void)
{
	struct task_struct *g, *t;
	u8 epoch = READ_ONCE(mz_mark_epoch) + 1;

	WRITE_ONCE(mz_mark_epoch, epoch ? epoch : 1);
	rcu_read_lock();
	for_each_process_thread(g, t)
		WRITE_ONCE(t->memorizer_enabled, 0);
	rcu_read_unlock();
}

/**
 * mz_set_mode - change whom the recorder records
 * @val: 0, 1, 2, 3 or a pid (see above)
 *
 * Return: 0, or -EINVAL for a negative value or a pid no process has.
 */
int mz_set_mode(int val)
{
	struct task_struct *t;

	if (val < 0)
		return -EINVAL;
	mutex_lock(&mz_mark_lock);
	if (val > 3) {
		t = find_get_task_by_vpid(val);
		if (!t) {
			mutex_unlock(&mz_mark_lock);
			return -EINVAL;
		}
		mz_mark(t, true);
		put_task_struct(t);
	} else if (val >= 2) {
		mz_mark(current, true);
	} else if (val == 0) {
		mz_unmark_all();
	}
	WRITE_ONCE(mz_enabled, val);
	mutex_unlock(&mz_mark_lock);
	return 0;
}

static ssize_t mz_proc_read(struct file *file, char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	struct task_struct *t = get_proc_task(file_inode(file));
	char buf[3];

	if (!t)
		return -ESRCH;
	buf[0] = mz_mark_valid(READ_ONCE(t->memorizer_enabled)) ? '1' : '0';
	buf[1] = '\n';
	put_task_struct(t);
	return simple_read_from_buffer(ubuf, count, ppos, buf, 2);
}

static ssize_t mz_proc_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct task_struct *t;
	char buf[4] = {};

	if (!count || count > 2 || copy_from_user(buf, ubuf, count))
		return -EINVAL;
	if ((buf[0] != '0' && buf[0] != '1') || (buf[1] && buf[1] != '\n'))
		return -EINVAL;
	/* the opener's credentials: a setuid writer cannot be borrowed */
	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	t = get_proc_task(file_inode(file));
	if (!t)
		return -ESRCH;
	mutex_lock(&mz_mark_lock);
	mz_mark(t, buf[0] == '1');
	mutex_unlock(&mz_mark_lock);
	put_task_struct(t);
	return count;
}

const struct file_operations proc_memorizer_enabled_operations = {
	.read = mz_proc_read,
	.write = mz_proc_write,
	.llseek = generic_file_llseek,
};
