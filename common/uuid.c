/*
 * UUIDv7 (RFC 9562 §5.7).  rand_a carries a per-process counter seeded at
 * random each millisecond, so ids from one process are strictly increasing
 * even within a millisecond (method 1 of §6.2, "fixed bit-length dedicated
 * counter").
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "crypto.h"
#include "hlc.h"
#include "uuid.h"

static pthread_mutex_t uuid_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t uuid_last_ms;
static uint16_t uuid_counter;

void
uuid_v7(struct uuid *u)
{
	uint64_t ms = hlc_wall_ms();
	uint16_t seq;

	crypto_random(u->b, sizeof(u->b));
	pthread_mutex_lock(&uuid_lock);
	if (ms <= uuid_last_ms) {
		ms = uuid_last_ms;
		if (++uuid_counter > 0x0fff) { /* counter spent: borrow 1 ms */
			ms++;
			uuid_counter = (u->b[6] & 0x03) << 8 | u->b[7];
		}
	} else
		uuid_counter = (u->b[6] & 0x03) << 8 | u->b[7]; /* < 0x400 */
	uuid_last_ms = ms;
	seq = uuid_counter;
	pthread_mutex_unlock(&uuid_lock);

	u->b[0] = (uint8_t)(ms >> 40);
	u->b[1] = (uint8_t)(ms >> 32);
	u->b[2] = (uint8_t)(ms >> 24);
	u->b[3] = (uint8_t)(ms >> 16);
	u->b[4] = (uint8_t)(ms >> 8);
	u->b[5] = (uint8_t)ms;
	u->b[6] = (uint8_t)(0x70 | (seq >> 8 & 0x0f));
	u->b[7] = (uint8_t)seq;
	u->b[8] = (uint8_t)(0x80 | (u->b[8] & 0x3f));
}

void
uuid_format(const struct uuid *u, char out[UUID_STRLEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < UUID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = digits[u->b[i] >> 4];
		out[o++] = digits[u->b[i] & 15];
	}
	out[o] = '\0';
}

int
uuid_parse(const char *s, struct uuid *u)
{
	size_t i, o = 0;
	int hi, lo;

	if (strlen(s) != UUID_STRLEN)
		return EINVAL;
	for (i = 0; i < UUID_STRLEN;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return EINVAL;
			i++;
			continue;
		}
		hi = s[i] >= '0' && s[i] <= '9'  ? s[i] - '0'
		    : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
		    : s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10
		                                 : -1;
		lo = s[i + 1] >= '0' && s[i + 1] <= '9'  ? s[i + 1] - '0'
		    : s[i + 1] >= 'a' && s[i + 1] <= 'f' ? s[i + 1] - 'a' + 10
		    : s[i + 1] >= 'A' && s[i + 1] <= 'F' ? s[i + 1] - 'A' + 10
		                                         : -1;
		if (hi < 0 || lo < 0)
			return EINVAL;
		u->b[o++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

int
uuid_version(const struct uuid *u)
{
	return u->b[6] >> 4;
}
