/*
 * The one place for feature-test macros and small portability shims.
 * Every .c file in Outpost includes this first (the Makefile passes
 * -include common/compat.h), so the whole tree sees one POSIX/GNU surface.
 */
#ifndef COMPAT_H
#define COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#define OUTPOST_VERSION "0.1.0"

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

#endif
