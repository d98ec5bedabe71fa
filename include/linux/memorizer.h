/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memorizer: the recorder of kernel objects' lives.
 */
#ifndef _LINUX_MEMORIZER_H
#define _LINUX_MEMORIZER_H

#endif /* _LINUX_MEMORIZER_H */
