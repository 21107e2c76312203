/*
 * The sms_port's ModemManager back-end (kiosk/visit/emergency_mm.c, issue
 * 16) against python3-dbusmock standing in for ModemManager on a private
 * bus (a GSM modem cannot run here; tests/kiosk/visit/mm_mock.py is the
 * mock: one modem with Messaging).  The bus is a dbus-daemon of our own,
 * given to libmm-glib as the system bus (DBUS_SYSTEM_BUS_ADDRESS).
 *
 *   no_modemmanager  nothing owns ModemManager's name: ENODEV
 *   send             a page is created with a delivery report and sent,
 *                    its reference returned; a refused send is EIO
 *   receive          a received SMS is read once (then deleted), in order
 *   pump             the pump over this port on a real store: level 1
 *                    paged through the modem, the roster's "A 15" reply
 *                    through the modem stops paging
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gio/gio.h>

#include "crypto.h"
#include "kiosk/store/store.h"
#include "kiosk/visit/emergency.h"
#include "test.h"
#include "xmalloc.h"

extern char **environ;

static pid_t bus_pid = -1, mock_pid = -1;

/* A private bus: its address becomes the "system" bus.  0 or TEST_SKIP. */
static int
bus_start(void)
{
	char line[512], *nl;
	FILE *f;

	f = popen("dbus-daemon --session --fork --print-address=1 "
	          "--print-pid=1 2>/dev/null",
	    "r");
	if (f == NULL)
		return TEST_SKIP;
	if (fgets(line, sizeof(line), f) == NULL) {
		pclose(f);
		return TEST_SKIP;
	}
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	setenv("DBUS_SYSTEM_BUS_ADDRESS", line, 1);
	if (fgets(line, sizeof(line), f) != NULL)
		bus_pid = (pid_t)strtol(line, NULL, 10);
	pclose(f);
	return bus_pid > 0 ? 0 : TEST_SKIP;
}

static void
stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		if (*pid != bus_pid)
			waitpid(*pid, NULL, 0);
		*pid = -1;
	}
}

static int
mock_start(void)
{
	/* Debian's python3, which has python3-dbusmock (not a pyenv's) */
	char *argv[] = { "/usr/bin/python3", "-m", "dbusmock", "--template",
		"tests/kiosk/visit/mm_mock.py", NULL };
	posix_spawn_file_actions_t fa;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&mock_pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* The port once ModemManager (the mock) answers, within 10 s. */
static int
port_wait(struct sms_port *p, struct sms_mm **mm)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int i, err = ENODEV;

	for (i = 0; i < 200 && err != 0; i++) {
		if ((err = emergency_sms_mm(p, mm)) != 0)
			nanosleep(&ts, NULL);
	}
	return err;
}

/* Call org.outpost.Test on the mock. */
static GVariant *
mock_call(const char *iface, const char *method, GVariant *args)
{
	GDBusConnection *c;
	GVariant *r;

	c = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, NULL);
	if (c == NULL)
		return NULL;
	r = g_dbus_connection_call_sync(c, "org.freedesktop.ModemManager1",
	    "/org/freedesktop/ModemManager1", iface, method, args, NULL,
	    G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
	g_object_unref(c);
	return r;
}

static int
outcome(const char *o)
{
	GVariant *r = mock_call("org.freedesktop.DBus.Properties", "Set",
	    g_variant_new("(ssv)", "org.outpost.Test", "Outcome",
	        g_variant_new_string(o)));

	if (r == NULL)
		return EIO;
	g_variant_unref(r);
	return 0;
}

/* The mock's Sent list joined by newlines into OUT. */
static int
sent(char *out, size_t len)
{
	GVariant *r, *v, *arr;
	GVariantIter it;
	const char *s;
	size_t n = 0;

	out[0] = '\0';
	r = mock_call("org.freedesktop.DBus.Properties", "Get",
	    g_variant_new("(ss)", "org.outpost.Test", "Sent"));
	if (r == NULL)
		return EIO;
	g_variant_get(r, "(v)", &v);
	arr = v;
	g_variant_iter_init(&it, arr);
	while (g_variant_iter_next(&it, "&s", &s))
		n +=
		    (size_t)snprintf(out + n, n < len ? len - n : 0, "%s\n", s);
	g_variant_unref(v);
	g_variant_unref(r);
	return 0;
}

static int
receive(const char *from, const char *text)
{
	GVariant *r = mock_call(
	    "org.outpost.Test", "Receive", g_variant_new("(ss)", from, text));

	if (r == NULL)
		return EIO;
	g_variant_unref(r);
	return 0;
}

/* A status report for the sent SMS of reference REF arrives. */
static int
status_report(unsigned ref, unsigned state)
{
	GVariant *r = mock_call(
	    "org.outpost.Test", "Report", g_variant_new("(uu)", ref, state));

	if (r == NULL)
		return EIO;
	g_variant_unref(r);
	return 0;
}

static void
stop_all(void)
{
	stop(&mock_pid);
	stop(&bus_pid);
}

/* One bus and one mock for the cases that need them (started once: each
 * python3 start costs a second), and a port on it. */
static int
setup(struct sms_port *p, struct sms_mm **mm)
{
	static int started;
	int rc;

	if (!started) {
		if (system("command -v dbus-daemon >/dev/null && "
		           "/usr/bin/python3 -c 'import dbusmock' "
		           "2>/dev/null") != 0) {
			printf("SKIP: dbus-daemon or python3-dbusmock "
			       "missing\n");
			return TEST_SKIP;
		}
		if ((rc = bus_start()) != 0)
			return rc;
		atexit(stop_all);
		if (mock_start() != 0)
			return EIO;
		started = 1;
	}
	if ((rc = port_wait(p, mm)) == 0)
		rc = outcome("ok");
	return rc;
}

static void
teardown(struct sms_mm *mm)
{
	emergency_sms_mm_free(mm);
}

static int
test_no_modemmanager(void)
{
	struct sms_port p;
	struct sms_mm *mm = NULL;
	int err = 0;

	if (system("command -v dbus-daemon >/dev/null") != 0)
		return TEST_SKIP;
	if ((err = bus_start()) != 0)
		return err;
	TEST_EQ(emergency_sms_mm(&p, &mm), ENODEV);
	TEST_TRUE(mm == NULL);
out:
	stop(&bus_pid);
	return err;
}

static int
test_send(void)
{
	struct sms_port p;
	struct sms_mm *mm = NULL;
	char ref[32] = "", log[1024];
	int err;

	if ((err = setup(&p, &mm)) != 0)
		goto out;
	TEST_EQ(
	    p.send(p.arg, "+254700000002", "EMERGENCY K7Q2M9: F34", ref), 0);
	TEST_STR(ref, "1");
	TEST_EQ(sent(log, sizeof(log)), 0);
	TEST_STR(log, "+254700000002\tEMERGENCY K7Q2M9: F34\n");
	/* +CMS ERROR: refused, and nothing counted as sent */
	TEST_EQ(outcome("fail"), 0);
	TEST_EQ(
	    p.send(p.arg, "+254700000001", "EMERGENCY K7Q2M9: F34", ref), EIO);
	TEST_EQ(sent(log, sizeof(log)), 0);
	TEST_STR(log, "+254700000002\tEMERGENCY K7Q2M9: F34\n");
	TEST_EQ(outcome("ok"), 0);
	TEST_EQ(p.send(p.arg, "+254700000001", "CANCELLED K7Q2M9: ok", ref), 0);
	TEST_STR(ref, "2");
out:
	teardown(mm);
	return err;
}

static int
test_receive(void)
{
	struct sms_port p;
	struct sms_mm *mm = NULL;
	struct sms_msg m;
	int err;

	if ((err = setup(&p, &mm)) != 0)
		goto out;
	TEST_EQ(p.recv(p.arg, &m), ENOENT);
	TEST_EQ(receive("+254700000002", "k7q2m9 a 20"), 0);
	TEST_EQ(receive("+254799999999", "K7Q2M9 X"), 0);
	TEST_EQ(p.recv(p.arg, &m), 0);
	TEST_STR(m.from, "+254700000002");
	TEST_STR(m.text, "k7q2m9 a 20");
	TEST_EQ(p.recv(p.arg, &m), 0);
	TEST_STR(m.from, "+254799999999");
	TEST_STR(m.text, "K7Q2M9 X");
	/* read once: the modem no longer holds them */
	TEST_EQ(p.recv(p.arg, &m), ENOENT);
out:
	teardown(mm);
	return err;
}

static void
service(struct esc_service *s, const char *id, const char *num)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->travel_min = 20;
	s->nsms = 1;
	snprintf(s->sms[0], ESC_NUM_LEN, "%s", num);
}

static int
test_pump(void)
{
	struct esc_roster *r = xcalloc(1, sizeof(*r));
	struct store_emergency_in in = { .trigger = ESC_TRIG_MANUAL,
		.news2 = 9,
		.vitals = "SpO2 84 RR 28",
		.age = 34,
		.sex = 'F' };
	struct store_emergency e;
	struct emerg_report rep;
	struct emerg_ctx c;
	struct sms_port p;
	struct sms_mm *mm = NULL;
	struct store *st = NULL;
	struct esc_now now;
	char *dir = NULL, id[UUID_STRLEN + 1], log[1024], yes[32];
	uint8_t key[32];
	int err, i;

	if ((err = setup(&p, &mm)) != 0)
		goto out;
	TEST_TRUE((dir = test_tmpdir("mm")) != NULL);
	crypto_random(key, sizeof(key));
	TEST_ERR(store_open(dir, key, 1, &st));
	r->version = 1;
	r->valid_until = INT64_MAX / 2;
	snprintf(r->landmark, sizeof(r->landmark), "Gede disp");
	r->nservices = 2;
	service(&r->services[0], "watamu-amb", "+254700000001");
	service(&r->services[1], "malindi-ems", "+254700000002");
	r->nlevels = 2;
	for (i = 0; i < 2; i++) {
		r->level_nsvc[i] = 1;
		memcpy(r->level_svc[i][0], r->services[i].id, ESC_RCPT_LEN);
		r->level_deadline_s[i] = 300;
	}
	r->loop_every_s = 600;
	r->loops = 5;
	r->rate_s = 120;
	r->max_pages = 20;
	memset(&c, 0, sizeof(c));
	c.s = st;
	c.roster = r;
	c.port = &p;
	c.chw_phone = "+254712345678";
	TEST_ERR(esc_now_read(&now));
	TEST_ERR(emerg_raise(&c, &in, &now, id));
	TEST_ERR(emerg_pump(&c, &now, &rep));
	TEST_EQ(rep.sent, 1);
	TEST_EQ(sent(log, sizeof(log)), 0);
	/* the pages sent so far end with this one */
	TEST_TRUE(strstr(log, "+254700000001\tEMERGENCY ") != NULL);
	TEST_TRUE(strstr(log, "F34 NEWS2 9 (SpO2 84 RR 28)") != NULL);
	TEST_ERR(store_emergency_get(st, id, &e));
	TEST_EQ(e.first_delivery_ms, 0);
	/* item 4: the page's delivery report (by the reference the mock
	 * gave: the number of SMS it sent so far), read once; a report for
	 * a reference we never sent is dropped */
	{
		unsigned ref = 0;
		const char *q;

		for (q = log; (q = strchr(q, '\n')) != NULL; q++)
			ref++;
		TEST_EQ(status_report(ref + 100, 0), 0);
		TEST_EQ(status_report(ref, 0), 0);
		TEST_ERR(emerg_pump(&c, &now, &rep));
		TEST_EQ(rep.delivered, 1);
		TEST_ERR(store_emergency_get(st, id, &e));
		TEST_TRUE(e.first_delivery_ms > 0);
		TEST_STR(e.eng.state == ESC_PAGING ? "paging" : "?", "paging");
		TEST_ERR(emerg_pump(&c, &now, &rep));
		TEST_EQ(rep.delivered, 0);
	}
	snprintf(yes, sizeof(yes), "%s A 15", e.eng.code);
	TEST_EQ(receive("+254700000001", yes), 0);
	TEST_ERR(emerg_pump(&c, &now, &rep));
	TEST_EQ(rep.acks, 1);
	TEST_ERR(store_emergency_get(st, id, &e));
	TEST_EQ(e.eng.state, ESC_ACKED);
	TEST_EQ(e.eng.eta_min, 15);
out:
	if (st != NULL)
		store_close(st);
	test_rmdir(dir);
	free(r);
	teardown(mm);
	return err;
}

TEST_MAIN({ "no_modemmanager", test_no_modemmanager }, { "send", test_send },
    { "receive", test_receive }, { "pump", test_pump })
