/*
 * baresip's ctrl_tcp wire: netstrings around JSON objects.  Framing and
 * parsing only, with libjansson; no socket here (engine.c owns it).
 * A frame is either a response to one of our commands (matched by its
 * token) or an event; events can come before the response to the command
 * that caused them, so nothing here assumes an order.
 */
#define LOG_MODULE "call"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "call_int.h"
#include "log.h"
#include "xmalloc.h"

int
callx_frame_next(struct buf *in, char **payload, size_t *len)
{
	size_t i, n = 0;

	*payload = NULL;
	*len = 0;
	for (i = 0; i < in->len; i++) {
		uint8_t c = in->data[i];

		if (c == ':')
			break;
		if (c < '0' || c > '9' || i >= 7)
			return EBADMSG;
		n = n * 10 + (size_t)(c - '0');
	}
	if (i == in->len)
		return 0; /* the length is not complete yet */
	if (i == 0 || n > CALLX_FRAME_MAX)
		return EBADMSG;
	if (in->len - i - 1 < n + 1)
		return 0;
	if (in->data[i + 1 + n] != ',')
		return EBADMSG;
	*payload = xstrndup((const char *)in->data + i + 1, n);
	*len = n;
	buf_consume(in, i + 1 + n + 1);
	return 0;
}

int
callx_encode(
    struct buf *out, const char *command, const char *params, const char *token)
{
	json_t *o;
	char *s;
	int err;

	o = json_object();
	json_object_set_new(o, "command", json_string(command));
	if (params != NULL)
		json_object_set_new(o, "params", json_string(params));
	if (token != NULL)
		json_object_set_new(o, "token", json_string(token));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		return EINVAL; /* params not UTF-8 */
	err = buf_printf(out, "%zu:%s,", strlen(s), s);
	free(s);
	return err;
}

static void
copy_str(json_t *o, const char *key, char *dst, size_t n)
{
	json_t *v = json_object_get(o, key);

	dst[0] = '\0';
	if (json_is_string(v))
		snprintf(dst, n, "%s", json_string_value(v));
}

static double
num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : 0;
}

static const struct {
	const char *name;
	enum callx_type type;
} types[] = {
	{ "CALL_INCOMING", CALLX_INCOMING },
	{ "CALL_RINGING", CALLX_RINGING },
	{ "CALL_PROGRESS", CALLX_PROGRESS },
	{ "CALL_ESTABLISHED", CALLX_ESTABLISHED },
	{ "CALL_CLOSED", CALLX_CLOSED },
	{ "CALL_MENC", CALLX_MENC },
	{ "CALL_RTPESTAB", CALLX_RTPESTAB },
	{ "CALL_RTCP", CALLX_RTCP },
	{ "REGISTER_OK", CALLX_REG_OK },
	{ "REGISTER_FAIL", CALLX_REG_FAIL },
	{ "AUDIO_ERROR", CALLX_AUDIO_ERROR },
	{ "EXIT", CALLX_EXIT },
};

int
callx_parse(const char *s, size_t len, struct callx_frame *f)
{
	json_error_t jerr;
	json_t *o, *st, *tx, *rx;
	char type[40];
	size_t i;

	memset(f, 0, sizeof(*f));
	o = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		log_warnx(
		    "ctrl_tcp frame is not a JSON object (%s)", jerr.text);
		json_decref(o);
		return EBADMSG;
	}
	if (json_is_true(json_object_get(o, "response"))) {
		f->type = CALLX_RESPONSE;
		f->ok = json_is_true(json_object_get(o, "ok"));
		copy_str(o, "token", f->token, sizeof(f->token));
		copy_str(o, "data", f->data, sizeof(f->data));
		json_decref(o);
		return 0;
	}
	if (!json_is_true(json_object_get(o, "event"))) {
		json_decref(o);
		return EBADMSG;
	}
	copy_str(o, "type", type, sizeof(type));
	copy_str(o, "id", f->id, sizeof(f->id));
	copy_str(o, "peeruri", f->peer, sizeof(f->peer));
	copy_str(o, "peerdisplayname", f->peername, sizeof(f->peername));
	copy_str(o, "param", f->param, sizeof(f->param));
	{
		char dir[16];

		copy_str(o, "direction", dir, sizeof(dir));
		f->outgoing = strcmp(dir, "outgoing") == 0;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i].name) == 0)
			f->type = types[i].type;
	st = json_object_get(o, "rtcp_stats");
	if (f->type == CALLX_RTCP && json_is_object(st)) {
		tx = json_object_get(st, "tx");
		rx = json_object_get(st, "rx");
		f->rtcp.have = 1;
		f->rtcp.tx_sent = (uint32_t)num(tx, "sent");
		f->rtcp.tx_lost = (uint32_t)num(tx, "lost");
		f->rtcp.tx_jitter_ms = num(tx, "jit") / 1000.0;
		f->rtcp.rx_sent = (uint32_t)num(rx, "sent");
		f->rtcp.rx_lost = (uint32_t)num(rx, "lost");
		f->rtcp.rx_jitter_ms = num(rx, "jit") / 1000.0;
		f->rtcp.rtt_ms = num(st, "rtt") / 1000.0;
		if (f->rtcp.rx_sent + f->rtcp.rx_lost > 0)
			f->rtcp.loss_pct = 100.0 * f->rtcp.rx_lost /
			    (f->rtcp.rx_sent + f->rtcp.rx_lost);
	}
	json_decref(o);
	return 0;
}
