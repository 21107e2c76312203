/*
 * The sms_port's ModemManager back-end (emergency.h; research emergency.md
 * §4.2, §7.2): the kiosk's USB modem through ModemManager on the system
 * bus, with libmm-glib.  A page is created on the first modem that has the
 * Messaging interface, with a delivery report requested and a validity of
 * one hour, then sent; a received SMS (a Deliver PDU in state "received")
 * is read and deleted from the modem, and so is a status report (the
 * sent page's delivery, by its message reference).  Everything runs on the calling
 * thread (the emergency worker): a GMainContext of its own is iterated
 * before each call, so the proxies' cached properties follow ModemManager.
 *
 * Errors as the sms_port says: ENODEV no ModemManager or no modem with
 * Messaging, EIO refused, ETIMEDOUT no answer within 30 s.  No text or
 * number in the log.
 */
#define LOG_MODULE "emergency"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmm-glib.h>

#include "kiosk/visit/emergency.h"
#include "log.h"
#include "str.h"
#include "xmalloc.h"

#define MM_SEND_TIMEOUT_MS 30000
#define MM_VALIDITY_MIN 60 /* a 5-hour-late alert is worse than none */

struct sms_mm {
	GCancellable *cancel; /* emergency_sms_mm_cancel: any thread */
	GMainContext *ctx;
	GDBusConnection *bus;
	MMManager *mgr;
};

static void
drain(struct sms_mm *m)
{
	while (g_main_context_iteration(m->ctx, FALSE))
		;
}

/* The first modem with Messaging (a new reference), or NULL. */
static MMModemMessaging *
messaging(struct sms_mm *m)
{
	GList *objs, *l;
	MMModemMessaging *msg = NULL;

	drain(m);
	objs = g_dbus_object_manager_get_objects(G_DBUS_OBJECT_MANAGER(m->mgr));
	for (l = objs; l != NULL && msg == NULL; l = l->next)
		msg = mm_object_get_modem_messaging(MM_OBJECT(l->data));
	g_list_free_full(objs, g_object_unref);
	return msg;
}

static int
mm_send(void *arg, const char *to, const char *text, char ref[32])
{
	struct sms_mm *m = arg;
	MMModemMessaging *msg;
	MMSmsProperties *props;
	MMSms *sms = NULL;
	GError *err = NULL;
	int rc = 0;

	if ((msg = messaging(m)) == NULL)
		return ENODEV;
	/* the SMS proxy follows its properties in our context */
	g_main_context_push_thread_default(m->ctx);
	props = mm_sms_properties_new();
	mm_sms_properties_set_text(props, text);
	mm_sms_properties_set_number(props, to);
	mm_sms_properties_set_delivery_report_request(props, TRUE);
	mm_sms_properties_set_validity_relative(props, MM_VALIDITY_MIN);
	g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(msg), MM_SEND_TIMEOUT_MS);
	sms = mm_modem_messaging_create_sync(msg, props, m->cancel, &err);
	if (sms == NULL) {
		log_warnx("modem: the SMS was not created (%s)",
		    err != NULL ? g_quark_to_string(err->domain) : "?");
		rc = err != NULL &&
		        g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
		    ? ETIMEDOUT
		    : EIO;
		goto out;
	}
	g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(sms), MM_SEND_TIMEOUT_MS);
	if (!mm_sms_send_sync(sms, m->cancel, &err)) {
		/* no answer, or cut short by a lock: it may have gone */
		rc = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
		        g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)
		    ? ETIMEDOUT
		    : EIO;
		log_warnx("modem: the SMS was not sent (%s)",
		    rc == ETIMEDOUT ? "no answer" : "refused");
	} else {
		drain(m); /* the reference the modem gave */
		snprintf(ref, 32, "%u", mm_sms_get_message_reference(sms));
	}
	/* the modem's copy is not needed: the store keeps the intent */
	g_clear_error(&err);
	if (!mm_modem_messaging_delete_sync(
	        msg, mm_sms_get_path(sms), NULL, &err))
		log_info("modem: a sent SMS left on the modem");
out:
	g_clear_error(&err);
	if (sms != NULL)
		g_object_unref(sms);
	g_object_unref(props);
	g_object_unref(msg);
	g_main_context_pop_thread_default(m->ctx);
	return rc;
}

/* The number ending an object path ("/SMS/12": 12). */
static unsigned long
path_no(const char *path)
{
	const char *p = path != NULL ? strrchr(path, '/') : NULL;

	return p != NULL ? strtoul(p + 1, NULL, 10) : 0;
}

static int
mm_recv_one(void *arg, struct sms_msg *out)
{
	struct sms_mm *m = arg;
	MMModemMessaging *msg;
	GList *list, *l;
	GError *err = NULL;
	MMSms *sms, *oldest = NULL;
	int rc = ENOENT;

	if ((msg = messaging(m)) == NULL)
		return ENOENT;
	g_main_context_push_thread_default(m->ctx);
	list = mm_modem_messaging_list_sync(msg, NULL, &err);
	g_clear_error(&err);
	/* the oldest first: ModemManager numbers its SMS objects in order */
	for (l = list; l != NULL; l = l->next) {
		sms = MM_SMS(l->data);
		if (mm_sms_get_pdu_type(sms) != MM_SMS_PDU_TYPE_DELIVER ||
		    mm_sms_get_state(sms) != MM_SMS_STATE_RECEIVED)
			continue;
		if (oldest == NULL ||
		    path_no(mm_sms_get_path(sms)) <
		        path_no(mm_sms_get_path(oldest)))
			oldest = sms;
	}
	if (oldest != NULL) {
		memset(out, 0, sizeof(*out));
		if (mm_sms_get_number(oldest) != NULL &&
		    mm_sms_get_text(oldest) != NULL) {
			str_lcpy(out->from, mm_sms_get_number(oldest),
			    sizeof(out->from));
			str_lcpy(out->text, mm_sms_get_text(oldest),
			    sizeof(out->text));
			rc = 0;
		} else
			rc = EAGAIN; /* a binary SMS: dropped, try the next */
		/* read once, as the folder modem does */
		if (!mm_modem_messaging_delete_sync(
		        msg, mm_sms_get_path(oldest), NULL, &err))
			log_info("modem: a received SMS could not be deleted");
		g_clear_error(&err);
	}
	g_list_free_full(list, g_object_unref);
	g_object_unref(msg);
	g_main_context_pop_thread_default(m->ctx);
	return rc;
}

static int
mm_recv(void *arg, struct sms_msg *out)
{
	int i, rc = EAGAIN;

	for (i = 0; i < 16 && rc == EAGAIN; i++)
		rc = mm_recv_one(arg, out);
	return rc == EAGAIN ? ENOENT : rc;
}

/*
 * A status report (3GPP TS 23.040 SMS-STATUS-REPORT), which ModemManager
 * shows as an SMS object of PDU type "status-report" carrying the sent
 * SMS's message reference and its delivery state: read and deleted.
 * Completed states (0x00-0x02) are a delivery, permanent errors (0x40
 * and up) a failure; a temporary error (the network still tries) is
 * dropped: a later report says how it ended.
 */
static int
mm_report(void *arg, char ref[32], int *delivered)
{
	struct sms_mm *m = arg;
	MMModemMessaging *msg;
	GList *list, *l;
	GError *err = NULL;
	MMSms *sms;
	guint state;
	int rc = ENOENT;

	if ((msg = messaging(m)) == NULL)
		return ENOENT;
	g_main_context_push_thread_default(m->ctx);
	list = mm_modem_messaging_list_sync(msg, NULL, &err);
	g_clear_error(&err);
	for (l = list; l != NULL && rc == ENOENT; l = l->next) {
		sms = MM_SMS(l->data);
		if (mm_sms_get_pdu_type(sms) != MM_SMS_PDU_TYPE_STATUS_REPORT)
			continue;
		state = mm_sms_get_delivery_state(sms);
		if (state <= MM_SMS_DELIVERY_STATE_COMPLETED_REPLACED_BY_SC ||
		    state >= 0x40) {
			snprintf(
			    ref, 32, "%u", mm_sms_get_message_reference(sms));
			*delivered = state <=
			    MM_SMS_DELIVERY_STATE_COMPLETED_REPLACED_BY_SC;
			rc = 0;
		}
		if (!mm_modem_messaging_delete_sync(
		        msg, mm_sms_get_path(sms), NULL, &err))
			log_info("modem: a status report could not be deleted");
		g_clear_error(&err);
	}
	g_list_free_full(list, g_object_unref);
	g_object_unref(msg);
	g_main_context_pop_thread_default(m->ctx);
	return rc;
}

int
emergency_sms_mm(struct sms_port *p, struct sms_mm **out)
{
	struct sms_mm *m = xcalloc(1, sizeof(*m));
	GError *err = NULL;
	gchar *owner;

	*out = NULL;
	m->cancel = g_cancellable_new();
	m->ctx = g_main_context_new();
	g_main_context_push_thread_default(m->ctx);
	m->bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &err);
	if (m->bus != NULL)
		m->mgr = mm_manager_new_sync(m->bus,
		    G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START, NULL,
		    &err);
	g_main_context_pop_thread_default(m->ctx);
	g_clear_error(&err);
	owner = m->mgr != NULL ? g_dbus_object_manager_client_get_name_owner(
	                             G_DBUS_OBJECT_MANAGER_CLIENT(m->mgr))
	                       : NULL;
	if (owner == NULL) {
		emergency_sms_mm_free(m);
		return ENODEV; /* no ModemManager on the system bus */
	}
	g_free(owner);
	p->arg = m;
	p->send = mm_send;
	p->recv = mm_recv;
	p->report = mm_report;
	*out = m;
	return 0;
}

void
emergency_sms_mm_free(struct sms_mm *m)
{
	if (m == NULL)
		return;
	if (m->mgr != NULL)
		g_object_unref(m->mgr);
	if (m->bus != NULL)
		g_object_unref(m->bus);
	if (m->ctx != NULL) {
		while (g_main_context_iteration(m->ctx, FALSE))
			;
		g_main_context_unref(m->ctx);
	}
	if (m->cancel != NULL)
		g_object_unref(m->cancel);
	free(m);
}

void
emergency_sms_mm_cancel(struct sms_mm *m)
{
	if (m != NULL)
		g_cancellable_cancel(m->cancel);
}
