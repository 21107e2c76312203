/*
 * String and number helpers standing in for the banned libc functions.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"
#include "xmalloc.h"

size_t
str_lcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int
str_to_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return ERANGE;
	*out = v;
	return 0;
}

int
str_to_double(const char *s, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(v))
		return EINVAL;
	*out = v;
	return 0;
}

char *
str_trim(char *s)
{
	size_t len;
	char *p = s;

	while (*p != '\0' && isspace((unsigned char)*p))
		p++;
	if (p != s)
		memmove(s, p, strlen(p) + 1);
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

int
str_icontains(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

int
str_edit_distance(const char *a, const char *b, int limit)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	int *prev, *cur, *tmp, best, result;

	if ((la > lb ? la - lb : lb - la) > (size_t)limit)
		return limit + 1;
	if (lb > 256 || la > 256)
		return limit + 1;
	prev = xcalloc(lb + 1, sizeof(int));
	cur = xcalloc(lb + 1, sizeof(int));
	for (j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (i = 1; i <= la; i++) {
		cur[0] = (int)i;
		best = cur[0];
		for (j = 1; j <= lb; j++) {
			int cost = tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]);
			int v = prev[j - 1] + cost;
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			cur[j] = v;
			if (v < best)
				best = v;
		}
		if (best > limit) {
			free(prev);
			free(cur);
			return limit + 1;
		}
		tmp = prev;
		prev = cur;
		cur = tmp;
	}
	result = prev[lb] > limit ? limit + 1 : prev[lb];
	free(prev);
	free(cur);
	return result;
}
