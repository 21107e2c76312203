/*
 * Allocators that never return NULL: out of memory is fatal.  This is the
 * only place in Outpost that calls malloc/calloc/realloc/strdup directly.
 * xmalloc_live() counts live blocks so tests can detect leaks per case.
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
void *xmemdup(const void *, size_t);
int xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));
/* Wipe LEN bytes at P (explicit_bzero) and free P; NULL is a no-op. */
void xfree_secret(void *p, size_t len);
/* Free a string after wiping it; NULL is a no-op. */
void xfree_secret_str(char *s);

#endif
