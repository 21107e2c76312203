/*
 * The one place for feature-test macros and small portability shims.
 * The Makefile defines _GNU_SOURCE for every file, so the whole tree sees
 * one POSIX/GNU surface; a file that uses nitems() or OUTPOST_VERSION
 * includes this header.
 */
#ifndef COMPAT_H
#define COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#define OUTPOST_VERSION "0.1.0"

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

#endif
