/*
 * CAP 1.2 documents (cap.h).  Times in the form the specification asks:
 * "YYYY-MM-DDThh:mm:ss-00:00" for UTC, never "Z" nor fractions; text
 * escaped for XML; identifiers checked for the characters CAP forbids.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "escalate/cap.h"

static int
bad_id(const char *s)
{
	return s == NULL || s[0] == '\0' || strpbrk(s, " \t\r\n,<&") != NULL;
}

static void
put_esc(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_printf(b, "&amp;");
			break;
		case '<':
			buf_printf(b, "&lt;");
			break;
		case '>':
			buf_printf(b, "&gt;");
			break;
		case '"':
			buf_printf(b, "&quot;");
			break;
		default:
			/* control characters other than tab and newline are
			 * not allowed in XML 1.0 */
			if ((unsigned char)*s < 0x20 && *s != '\t' &&
			    *s != '\n')
				buf_append_byte(b, ' ');
			else
				buf_append_byte(b, (uint8_t)*s);
		}
	}
}

static void
elem(struct buf *b, const char *ind, const char *name, const char *text)
{
	buf_printf(b, "%s<%s>", ind, name);
	put_esc(b, text);
	buf_printf(b, "</%s>\n", name);
}

/* UTC as CAP wants it: no "Z", no fraction, "-00:00". */
static void
cap_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000 - (ms % 1000 < 0));
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S-00:00", &tm);
}

int
esc_cap_build(const struct esc_cap_in *in, char **out)
{
	static const char *const type[] = { [ESC_CAP_ALERT] = "Alert",
		[ESC_CAP_UPDATE] = "Update",
		[ESC_CAP_CANCEL] = "Cancel" };
	struct buf b;
	char sent[32], first[32], id[64], circle[64];

	*out = NULL;
	if (bad_id(in->uuid) || bad_id(in->sender) || in->addresses == NULL ||
	    in->addresses[0] == '\0' || in->type < ESC_CAP_ALERT ||
	    in->type > ESC_CAP_CANCEL || in->seq < 1 ||
	    (in->type != ESC_CAP_ALERT && in->seq < 2))
		return EINVAL;
	cap_time(in->sent_ms, sent);
	cap_time(in->first_ms, first);
	snprintf(id, sizeof(id), "%s.%d", in->uuid, in->seq);
	buf_init(&b, 64 << 10);
	buf_printf(&b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n");
	elem(&b, "  ", "identifier", id);
	elem(&b, "  ", "sender", in->sender);
	elem(&b, "  ", "sent", sent);
	elem(&b, "  ", "status", in->exercise ? "Exercise" : "Actual");
	elem(&b, "  ", "msgType", type[in->type]);
	elem(&b, "  ", "scope", "Private");
	elem(&b, "  ", "addresses", in->addresses);
	if (in->note != NULL && in->note[0] != '\0')
		elem(&b, "  ", "note", in->note);
	if (in->type != ESC_CAP_ALERT) {
		/* sender,identifier,sent of the Alert this follows */
		buf_printf(&b, "  <references>");
		put_esc(&b, in->sender);
		buf_printf(&b, ",%s.1,%s</references>\n", in->uuid, first);
	}
	elem(&b, "  ", "incidents", in->uuid);
	buf_printf(&b, "  <info>\n");
	elem(&b, "    ", "language", "en");
	elem(&b, "    ", "category", "Health");
	elem(&b, "    ", "category", "Rescue");
	elem(&b, "    ", "event", "Medical emergency");
	elem(&b, "    ", "responseType",
	    in->type == ESC_CAP_CANCEL ? "AllClear" : "Execute");
	elem(&b, "    ", "urgency",
	    in->type == ESC_CAP_CANCEL ? "Past" : "Immediate");
	elem(&b, "    ", "severity", "Severe");
	elem(&b, "    ", "certainty", "Observed");
	elem(&b, "    ", "senderName", "Outpost emergency escalation");
	buf_printf(&b, "    <headline>%s %s</headline>\n",
	    in->type == ESC_CAP_CANCEL ? "CANCELLED" : "EMERGENCY",
	    in->code != NULL ? in->code : "");
	elem(&b, "    ", "description", in->summary);
	elem(&b, "    ", "instruction",
	    in->type == ESC_CAP_CANCEL
	        ? "No response needed any more."
	        : "Send transport; reply with the code and A (accept) or X "
	          "(cannot).");
	if (in->contact != NULL && in->contact[0] != '\0')
		elem(&b, "    ", "contact", in->contact);
	buf_printf(&b, "    <parameter>\n");
	elem(&b, "      ", "valueName", "OutpostCode");
	elem(&b, "      ", "value", in->code);
	buf_printf(&b, "    </parameter>\n");
	buf_printf(&b, "    <area>\n");
	elem(&b, "      ", "areaDesc",
	    in->site != NULL && in->site[0] != '\0' ? in->site : "unknown");
	if (in->has_pos) {
		/* a point as a circle of radius 0 km: "lat,lon radius" */
		snprintf(
		    circle, sizeof(circle), "%.5f,%.5f 0", in->lat, in->lon);
		elem(&b, "      ", "circle", circle);
	}
	buf_printf(&b, "    </area>\n  </info>\n</alert>\n");
	*out = buf_take_str(&b);
	return 0;
}
