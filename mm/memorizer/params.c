// SPDX-License-Identifier: GPL-2.0
/*
 * The recorder's kernel parameters and the parsers its controls share:
 * memorizer_enabled_boot=, mem_log_boot=, memorizer_index_type= and
 * memalloc_size=, as the first Memorizer's command lines spell them.
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/string.h>
#include "memorizer.h"

/**
 * mz_parse_bool - the one boolean parser of the controls and parameters
 * @s: 1/0, y/n, yes/no, true/false or on/off, in any case
 * @val: the value
 *
 * Stricter than kstrtobool(), which takes any word by its first letter.
 * Return: 0, or -EINVAL (and @val untouched) for anything else.
 */
int mz_parse_bool(const char *s, bool *val)
{
	static const char *const yes[] = { "1", "y", "yes", "true", "on" };
	static const char *const no[] = { "0", "n", "no", "false", "off" };
	int i;

	for (i = 0; s && i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*val = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*val = false;
			return 0;
		}
	}
	return -EINVAL;
}

bool mz_boot_enabled __initdata = true;

static int __init mz_param_enabled(char *arg)
{
	return mz_parse_bool(arg, &mz_boot_enabled);
}
early_param("memorizer_enabled_boot", mz_param_enabled);

static int __init mz_param_log(char *arg)
{
	return mz_parse_bool(arg, &mz_log_accesses);
}
early_param("mem_log_boot", mz_param_log);

static int __init mz_param_index(char *arg)
{
	if (!arg)
		return -EINVAL;
	if (!strcmp(arg, "time"))
		mz_index_time = true;
	else if (strcmp(arg, "serial"))
		return -EINVAL;
	return 0;
}
early_param("memorizer_index_type", mz_param_index);

/**
 * mz_parse_size - parse a memalloc_size= value
 * @arg: N GiB, the unit of the first Memorizer's command lines
 *       (memalloc_size=4), or a number with a K/M/G suffix
 * @bytes: the size in bytes
 *
 * Return: 0, or -EINVAL for anything else, a number too large included.
 */
int mz_parse_size(const char *arg, unsigned long *bytes)
{
	unsigned int shift = 30, len;
	unsigned long long n;
	char num[24];

	if (!arg)
		return -EINVAL;
	len = strspn(arg, "0123456789");
	if (!len || len >= sizeof(num))
		return -EINVAL;
	switch (arg[len]) {
	case '\0':
		break;
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	case 'T': case 't':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (arg[len] && arg[len + 1])
		return -EINVAL;
	memcpy(num, arg, len);
	num[len] = '\0';
	if (kstrtoull(num, 10, &n) || n > ULONG_MAX >> shift)
		return -EINVAL;
	*bytes = n << shift;
	return 0;
}

/**
 * mz_pool_size - the pool size the recorder takes
 * @want: memalloc_size= in bytes
 * @mem: the machine's memory in bytes
 *
 * At most a quarter of memory, and no more slots than a u32 can name.
 * Return: the size, a whole number of pages.
 */
unsigned long mz_pool_size(unsigned long want, unsigned long mem)
{
	unsigned long limit = min(mem / 4, MZ_POOL_MAX_SLOTS * MZ_SLOT_SIZE);

	return round_down(min(want, limit), PAGE_SIZE);
}

static int __init mz_param_size(char *arg)
{
	if (mz_parse_size(arg, &mz_pool_bytes)) {
		pr_err("memalloc_size=%s: not a size; keeping %luM\n", arg ?: "",
		       mz_pool_bytes >> 20);
		return -EINVAL;
	}
	return 0;
}
early_param("memalloc_size", mz_param_size);
