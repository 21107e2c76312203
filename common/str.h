/*
 * Small string and number helpers that replace banned libc functions
 * (strcpy, strncpy, atoi...).  Pure functions: no allocation unless named.
 */
#ifndef STR_H
#define STR_H

#include <stddef.h>
#include <stdint.h>

/* Copy SRC into DST of SIZE bytes, always NUL-terminated; returns strlen(SRC). */
size_t str_lcpy(char *dst, const char *src, size_t size);
/*
 * Parse a decimal integer in [MIN, MAX]; the whole string must be used.
 * Returns 0, EINVAL (not a number) or ERANGE.
 */
int str_to_ll(const char *s, long long min, long long max, long long *out);
/* Parse a finite decimal number ("36.6"); returns 0 or EINVAL. */
int str_to_double(const char *s, double *out);
/* Trim ASCII white space at both ends, in place; returns S. */
char *str_trim(char *s);
/* Case-insensitive (ASCII) test: does HAY contain NEEDLE? */
int str_icontains(const char *hay, const char *needle);
/*
 * Edit distance (Levenshtein, ASCII case-insensitive) between A and B,
 * giving up early and returning LIMIT+1 once it exceeds LIMIT.
 */
int str_edit_distance(const char *a, const char *b, int limit);

#endif
