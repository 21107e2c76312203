/*
 * The SIP credential table Kamailio reads (sipcred.h): one line per node,
 * "user::ha1" under db_text's header line.  Passwords are made here and
 * handed back once; only their HA1 is written.  This file does not talk to
 * Kamailio (db_text notices the new file by itself) and keeps no state.
 */
#define LOG_MODULE "sipcred"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "fileio.h"
#include "log.h"
#include "sync-server/sipcred.h"
#include "xmalloc.h"

#define TABLE_HEAD "username(str) domain(str,null) ha1(str)\n"
#define TABLE_MAX (4u << 20)

static int
sip_path(char *out, size_t n, const char *data_dir, const char *name)
{
	int k = snprintf(out, n, "%s/sip/%s", data_dir, name);

	return k < 0 || (size_t)k >= n ? ENAMETOOLONG : 0;
}

static int
read_addr(const char *data_dir, const char *name, char *out, size_t n)
{
	char p[1024];
	FILE *f;
	size_t len;

	if (sip_path(p, sizeof(p), data_dir, name) != 0)
		return EINVAL;
	if ((f = fopen(p, "r")) == NULL)
		return ENOENT;
	if (fgets(out, (int)n, f) == NULL) {
		fclose(f);
		return EINVAL;
	}
	fclose(f);
	len = strcspn(out, "\r\n");
	out[len] = '\0';
	return len > 0 && strchr(out, ':') != NULL ? 0 : EINVAL;
}

static int
read_registrar(const char *data_dir, char *reg, size_t n)
{
	return read_addr(data_dir, "registrar", reg, n);
}

/* Is ADDR a "host:port" we may write into a file and a SIP URI? */
static int
addr_valid(const char *addr)
{
	char *end;
	long port;
	const char *c = strrchr(addr, ':');

	if (c == NULL || c == addr || (size_t)(c - addr) >= 128 ||
	    strspn(addr,
	        "abcdefghijklmnopqrstuvwxyz"
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") != strlen(addr))
		return 0;
	port = strtol(c + 1, &end, 10);
	return *end == '\0' && port >= 1 && port <= 65535;
}

static int
write_line(const char *data_dir, const char *name, const char *value)
{
	char p[1024], line[160];
	int k, err;

	if ((err = sip_path(p, sizeof(p), data_dir, name)) != 0)
		return err;
	k = snprintf(line, sizeof(line), "%s\n", value);
	return fileio_write_atomic(p, line, (size_t)k, 0640);
}

int
sipcred_setup(const char *data_dir, const char *registrar, const char *turn)
{
	char p[1024];
	int err;

	if (!addr_valid(registrar) || (turn != NULL && !addr_valid(turn)))
		return EINVAL;
	if ((err = sip_path(p, sizeof(p), data_dir, "")) != 0)
		return err;
	if (mkdir(p, 0750) != 0 && errno != EEXIST)
		return errno;
	if ((err = sip_path(p, sizeof(p), data_dir, "subscriber")) != 0)
		return err;
	if (access(p, F_OK) != 0 &&
	    (err = fileio_write_atomic(
	         p, TABLE_HEAD, strlen(TABLE_HEAD), 0640)) != 0)
		return err;
	if (turn != NULL)
		err = write_line(data_dir, "turn", turn);
	else if ((err = sip_path(p, sizeof(p), data_dir, "turn")) == 0 &&
	    unlink(p) != 0 && errno != ENOENT)
		err = errno;
	if (err != 0)
		return err;
	return write_line(data_dir, "registrar", registrar);
}

/* The realm nodes put in their From/To: the registrar's host. */
static void
realm_of(const char *registrar, char *realm, size_t n)
{
	const char *c = strrchr(registrar, ':');

	snprintf(realm, n, "%.*s", (int)(c - registrar), registrar);
}

static void
ha1_hex(const char *user, const char *realm, const char *pw, char out[33])
{
	char in[256];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0, i;

	snprintf(in, sizeof(in), "%s:%s:%s", user, realm, pw);
	EVP_Digest(in, strlen(in), md, &len, EVP_md5(), NULL);
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	explicit_bzero(in, sizeof(in));
}

/*
 * Rewrite the table without USER's line, plus ADD (a whole line) when not
 * NULL, under the lock.
 */
static int
rewrite(const char *data_dir, const char *user, const char *add)
{
	char p[1024], lockp[1024], line[512];
	struct buf out;
	size_t ul = strlen(user);
	FILE *f;
	int lk, err;

	if ((err = sip_path(p, sizeof(p), data_dir, "subscriber")) != 0 ||
	    (err = sip_path(lockp, sizeof(lockp), data_dir, ".lock")) != 0)
		return err;
	if ((lk = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return errno == ENOENT ? ENOENT : EIO;
	if (flock(lk, LOCK_EX) != 0) {
		close(lk);
		return EIO;
	}
	buf_init(&out, TABLE_MAX);
	err = buf_printf(&out, "%s", TABLE_HEAD);
	if ((f = fopen(p, "r")) != NULL) {
		int first = 1;

		while (err == 0 && fgets(line, sizeof(line), f) != NULL) {
			if (first) { /* the header, written above */
				first = 0;
				continue;
			}
			if (strncmp(line, user, ul) == 0 && line[ul] == ':')
				continue;
			err = buf_printf(&out, "%s", line);
		}
		fclose(f);
	}
	if (err == 0 && add != NULL)
		err = buf_printf(&out, "%s", add);
	if (err == 0)
		err = fileio_write_atomic(p, out.data, out.len, 0640);
	buf_free(&out);
	flock(lk, LOCK_UN);
	close(lk);
	return err == EMSGSIZE ? ENOSPC : err;
}

int
sipcred_issue(const char *data_dir, uint64_t node, struct sipcred *c)
{
	static const char abc[] = "abcdefghijkmnpqrstuvwxyz23456789";
	uint8_t rnd[24];
	char realm[128], ha1[33], line[128];
	size_t i;
	int err;

	memset(c, 0, sizeof(*c));
	if ((err = read_registrar(
	         data_dir, c->registrar, sizeof(c->registrar))) != 0)
		return err;
	if (read_addr(data_dir, "turn", c->turn, sizeof(c->turn)) != 0)
		c->turn[0] = '\0'; /* no relay in this region */
	realm_of(c->registrar, realm, sizeof(realm));
	snprintf(c->user, sizeof(c->user), "n%" PRIu64, node);
	crypto_random(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++) /* 24 x 5 bits = 120 bits */
		c->password[i] = abc[rnd[i] & 31];
	explicit_bzero(rnd, sizeof(rnd));
	ha1_hex(c->user, realm, c->password, ha1);
	snprintf(line, sizeof(line), "%s::%s\n", c->user, ha1);
	if ((err = rewrite(data_dir, c->user, line)) != 0) {
		log_warnx("node %" PRIu64 ": SIP credentials not written: %s",
		    node, strerror(err));
		explicit_bzero(c, sizeof(*c));
		return err;
	}
	log_info("node %" PRIu64 ": SIP credentials issued", node);
	return 0;
}

int
sipcred_withdraw(const char *data_dir, uint64_t node)
{
	char reg[128], user[32];
	int err;

	if ((err = read_registrar(data_dir, reg, sizeof(reg))) != 0)
		return err == ENOENT ? 0 : err;
	snprintf(user, sizeof(user), "n%" PRIu64, node);
	if ((err = rewrite(data_dir, user, NULL)) != 0)
		return err;
	log_info("node %" PRIu64 ": SIP credentials withdrawn", node);
	return 0;
}

int
sipcred_coturn_users(const char *data_dir, FILE *out)
{
	char p[1024], reg[128], line[512], *c;
	FILE *f;
	int err, first = 1;

	if ((err = read_registrar(data_dir, reg, sizeof(reg))) != 0 ||
	    (err = sip_path(p, sizeof(p), data_dir, "subscriber")) != 0)
		return err;
	if ((f = fopen(p, "r")) == NULL)
		return errno == ENOENT ? ENOENT : EIO;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (first) { /* the header */
			first = 0;
			continue;
		}
		line[strcspn(line, "\r\n")] = '\0';
		/* "nID::HA1" (domain empty) */
		if ((c = strstr(line, "::")) == NULL || c == line ||
		    strlen(c + 2) != 32)
			continue;
		*c = '\0';
		fprintf(out, "user=%s:0x%s\n", line, c + 2);
	}
	fclose(f);
	return ferror(out) ? EIO : 0;
}
