/*
 * The SMS gateway adapter (issue 16, research emergency.md §4.1): one HTTP
 * POST per page, form-encoded as Africa's Talking's messaging API takes it
 * (username, to, message, from; the apiKey header), its JSON answer read
 * for the message id and status code.  The gateway's delivery reports and
 * inbound SMS come back to api/emergency.c's callback routes.  The
 * configuration is DATA/gateway.conf (docs/OPERATIONS.md): the API key and
 * the callback secret never reach a log.
 */
#define LOG_MODULE "gateway"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "log.h"
#include "sync-server/emergency.h"

#define GW_TIMEOUT_S 10 /* research §7.2: the fast path's own timeout */
#define GW_ANSWER_MAX (64 << 10)

static int
kv(struct gateway_cfg *g, const char *k, const char *v)
{
	char *dst;
	size_t size;

	if (strcmp(k, "url") == 0)
		dst = g->url, size = sizeof(g->url);
	else if (strcmp(k, "username") == 0)
		dst = g->username, size = sizeof(g->username);
	else if (strcmp(k, "apikey") == 0)
		dst = g->apikey, size = sizeof(g->apikey);
	else if (strcmp(k, "from") == 0)
		dst = g->from, size = sizeof(g->from);
	else if (strcmp(k, "callback-secret") == 0)
		dst = g->secret, size = sizeof(g->secret);
	else
		return EINVAL;
	if (strlen(v) >= size)
		return EINVAL;
	snprintf(dst, size, "%s", v);
	return 0;
}

int
gateway_load(const char *path, struct gateway_cfg *g)
{
	char line[512], *k, *v, *end;
	struct stat st;
	FILE *f;
	int n = 0, err = 0;

	memset(g, 0, sizeof(*g));
	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? ENOENT : errno;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0) {
		log_warnx("%s: readable by others (it holds the API key):"
		          " chmod 600 it",
		    path);
		fclose(f);
		return EPERM;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		line[strcspn(line, "#\r\n")] = '\0';
		k = line + strspn(line, " \t");
		if (*k == '\0')
			continue;
		v = k + strcspn(k, " \t");
		if (*v != '\0')
			*v++ = '\0';
		v += strspn(v, " \t");
		end = v + strlen(v);
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (kv(g, k, v) != 0) {
			log_warnx("%s:%d: unknown key or value too long (%s)",
			    path, n, k);
			err = EINVAL;
		}
	}
	fclose(f);
	if (err == 0 && (g->url[0] == '\0' || g->secret[0] == '\0')) {
		log_warnx("%s: needs url and callback-secret", path);
		err = EINVAL;
	}
	return err;
}

const char *
gateway_status(const char *w)
{
	static const char *const sent[] = { "Sent", "Submitted", "Buffered",
		"sent", "queued", "accepted", "sending", "submitted" };
	static const char *const failed[] = { "Rejected", "Failed", "failed",
		"undelivered", "rejected", "undeliverable", "expired" };
	size_t i;

	if (w == NULL)
		return NULL;
	if (strcasecmp(w, "Success") == 0 || strcasecmp(w, "delivered") == 0)
		return "delivered";
	for (i = 0; i < sizeof(sent) / sizeof(sent[0]); i++)
		if (strcmp(w, sent[i]) == 0)
			return "sent";
	for (i = 0; i < sizeof(failed) / sizeof(failed[0]); i++)
		if (strcmp(w, failed[i]) == 0)
			return "failed";
	return NULL;
}

static size_t
gw_write(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + size * n > GW_ANSWER_MAX ||
	    buf_append(b, p, size * n) != 0)
		return 0;
	return size * n;
}

/* The answer's first recipient: its messageId and statusCode (100-102:
 * taken; 401-407: refused for good, except 402 and 405 worth a retry;
 * 5xx: retry). */
static int
gw_answer(const struct buf *b, char ext[64])
{
	json_t *root, *rcpts, *r, *id, *code;
	json_error_t je;
	long long c;
	int err = EIO;

	root = json_loadb((const char *)b->data, b->len, 0, &je);
	if (root == NULL)
		return ETIMEDOUT; /* an answer we cannot read: unknown */
	rcpts = json_object_get(
	    json_object_get(root, "SMSMessageData"), "Recipients");
	r = json_array_get(rcpts, 0);
	id = json_object_get(r, "messageId");
	code = json_object_get(r, "statusCode");
	if (r == NULL || !json_is_integer(code))
		goto out;
	c = json_integer_value(code);
	if (c >= 100 && c <= 102 && json_is_string(id)) {
		snprintf(ext, 64, "%s", json_string_value(id));
		err = 0;
	} else if (c == 402 || c == 405 || c >= 500)
		err = EAGAIN;
out:
	json_decref(root);
	return err;
}

int
gateway_send(
    const struct gateway_cfg *g, const char *to, const char *text, char ext[64])
{
	struct curl_slist *h = NULL;
	struct buf ans;
	char *eto = NULL, *etext = NULL, *euser = NULL, *efrom = NULL,
	     *body = NULL, hdr[160];
	long status = 0;
	CURLcode rc;
	CURL *c;
	int err;

	ext[0] = '\0';
	if ((c = curl_easy_init()) == NULL)
		return ENOMEM;
	buf_init(&ans, GW_ANSWER_MAX);
	eto = curl_easy_escape(c, to, 0);
	etext = curl_easy_escape(c, text, 0);
	euser = curl_easy_escape(c, g->username, 0);
	efrom = curl_easy_escape(c, g->from, 0);
	if (eto == NULL || etext == NULL || euser == NULL || efrom == NULL) {
		err = ENOMEM;
		goto out;
	}
	if (asprintf(&body, "username=%s&to=%s&message=%s%s%s", euser, eto,
	        etext, g->from[0] ? "&from=" : "",
	        g->from[0] ? efrom : "") < 0) {
		body = NULL;
		err = ENOMEM;
		goto out;
	}
	snprintf(hdr, sizeof(hdr), "apiKey: %s", g->apikey);
	h = curl_slist_append(h, hdr);
	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(
	    h, "Content-Type: application/x-www-form-urlencoded");
	curl_easy_setopt(c, CURLOPT_URL, g->url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, gw_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &ans);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)GW_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	explicit_bzero(hdr, sizeof(hdr));
	if (rc != CURLE_OK) {
		/* sent or not, nobody knows: the next level decides */
		log_warnx("gateway: %s", curl_easy_strerror(rc));
		err = rc == CURLE_COULDNT_CONNECT ? EAGAIN : ETIMEDOUT;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 500) {
		err = EAGAIN;
		goto out;
	}
	if (status < 200 || status >= 300) {
		log_warnx("gateway: HTTP %ld", status);
		err = EIO;
		goto out;
	}
	err = gw_answer(&ans, ext);
out:
	curl_slist_free_all(h);
	curl_free(eto);
	curl_free(etext);
	curl_free(euser);
	curl_free(efrom);
	free(body);
	buf_free(&ans);
	curl_easy_cleanup(c);
	return err;
}
