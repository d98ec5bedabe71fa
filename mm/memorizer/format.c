// SPDX-License-Identifier: GPL-2.0
/*
 * The kmap lines, shared by kmap and the allocations and accesses CSVs:
 *   alloc_ip,pid,obj_va_ptr,size,alloc_index,free_index,free_ip,
 *   alloc_type,command,slabname,new_alloc_type
 * and under it, one per (instruction, process) that touched the object:
 *     access_ip,write_count,read_count,access_pid
 * or, for the exited processes of one command once retired (retire.c):
 *     access_ip,write_count,read_count,-2,command
 */
#include <linux/seq_file.h>
#include "memorizer.h"

static const char *const mz_type_names[NR_MEMORIZER_TYPES] = {
	"STACK", "STACK_FRAME", "STACK_ARGS", "STACK_PAGE", "GEN_HEAP",
	"UFO_HEAP", "GLOBAL", "KMALLOC", "KMALLOC_ND", "KMEM_CACHE",
	"KMEM_CACHE_ND", "KMEM_CACHE_BULK", "VMALLOC", "ALLOC_PAGES",
	"ALLOC_PAGES_EXACT", "ALLOC_PAGES_GETFREEPAGES", "ALLOC_PAGES_FOLIO",
	"INDUCED_ALLOC", "BOOTMEM", "MEMBLOCK", "UFO_MEMBLOCK", "MEMORIZER",
	"USER", "BUG", "UFO_GLOBAL", "UFO_NONE", "NONE",
};

/* The name of an allocation type; blank for "none" (new_alloc_type). */
const char *mz_type_name(unsigned int type)
{
	return type < NR_MEMORIZER_TYPES ? mz_type_names[type] : "";
}

/**
 * mz_format_obj - print one object's long line
 * @m: where to print
 * @o: a stable snapshot of the descriptor
 * @comm: the command name
 * @cache: the slab cache name, or NULL for "no-slab"
 */
void mz_format_obj(struct seq_file *m, const struct mz_obj *o,
		   const char *comm, const char *cache)
{
	bool freed = o->state == MZ_FREED;

	seq_printf(m, "%lx,%d,%lx,%lu,%llu,%llu,%lx,%s,%s,%s,%s\n",
		   mz_ip_decode(o->alloc_ip), o->pid, o->va, mz_obj_size(o),
		   o->alloc_index, freed ? o->free_index : 0,
		   freed ? mz_free_ip(o) : 0UL,
		   mz_type_name(o->type), comm, cache ? cache : "no-slab",
		   mz_type_name(o->new_type));
}

/**
 * mz_format_accesses - print an object's counter records
 * @m: where to print
 * @o: the object (its record list only grows while it is printed)
 * @csv: as rows of the accesses file, which name the object, rather than
 *	 as the kmap's indented lines
 *
 * Called with mz_report_lock held: retiring moves records between lists.
 */
void mz_format_accesses(struct seq_file *m, const struct mz_obj *o, bool csv)
{
	const struct mz_acc *r;

	for (r = READ_ONCE(o->acc); r; r = READ_ONCE(r->onext)) {
		unsigned long ip = mz_ip_decode(r->ip);
		long w = arch_atomic_long_read(&r->writes);
		long rd = arch_atomic_long_read(&r->reads);
		const char *comm = "";

		if (r->pid == MZ_PID_RETIRED)
			comm = mz_name(&mz_comms, r->comm);
		if (csv)
			seq_printf(m, "%lx,%llu,%lx,%lu,%lu,%d,%s\n", o->va,
				   o->alloc_index, ip, w, rd, r->pid, comm);
		else if (*comm)
			seq_printf(m, "  %lx,%lu,%lu,%d,%s\n", ip, w, rd, r->pid, comm);
		else
			seq_printf(m, "  %lx,%lu,%lu,%d\n", ip, w, rd, r->pid);
	}
}
