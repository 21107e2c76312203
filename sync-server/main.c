/*
 * sync-server: the central store nodes sync with.
 *
 *   sync-server --data DIR [--store postgresql://...]
 *               [--listen ADDR:PORT] [--tls-cert F --tls-key F]
 *               [--threads N] [--max-conns N] [--max-per-ip N]
 *               [--timeout S] [--pull-page N] [--push-changes N]
 *               [--header-timeout S] [--request-timeout S]
 *               [--min-rate B] [--body-memory MIB]
 *               [--port-file F] [--log F] [-v]
 *               [--key-file F] [--user NAME]
 *               [--blob-quota-mb N] [--blob-stale-hours N]
 *               [--licence-hours N]
 *   sync-server --data DIR [--key-file F] admin ...   (see admin.c)
 *   sync-server --config FILE [options] [admin ...]
 *
 * It serves until SIGTERM or SIGINT, then stops taking requests, lets the
 * ones in flight finish (each push answers only after its commit) and
 * closes the store: nothing acknowledged is lost.  With port 0 the bound
 * port is written to --port-file (for tests).  --store puts the store in
 * PostgreSQL (a libpq URI or conninfo) instead of DIR/server.db; the
 * server key stays in DIR.  --pull-page and
 * --push-changes lower the limits nodes learn at enrolment (at most 500
 * and 512, docs/PROTOCOL.md §3.1); the server enforces them.
 *
 * Issue 9, item 10: core dumps are off from the first line; the store is
 * encrypted under the key in --key-file (else the systemd credential
 * outpost-server-key), without which nothing starts; --user NAME drops
 * root once the port is bound and the store is open (privdrop.c).
 * Issue 14: --licence-hours sets how long a licence snapshot is good for
 * (its not_after; 7 days by default and at most).
 *
 * Item 8: --blob-quota-mb and --blob-stale-hours set each node's
 * attachment quota and how long a partial upload is kept (api/blob.c).
 *
 * Issue 18: --config FILE reads `key = value` lines naming the options
 * (conf.c; the command line wins); under systemd's Type=notify it says
 * READY=1 once it listens as its user and STOPPING=1 on a stop signal
 * (notify.c).
 */
#define LOG_MODULE "main"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blobstore.h"
#include "emergency.h"
#include "conf.h"
#include "fileio.h"
#include "privdrop.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "str.h"
#include "wait_timer.h"

static int
usage(void)
{
	fprintf(stderr,
	    "usage: sync-server [--config FILE] --data DIR "
	    "[--store postgresql://...] "
	    "[--listen ADDR:PORT] "
	    "[--tls-cert F --tls-key F]\n"
	    "                   [--threads N] [--max-conns N] "
	    "[--max-per-ip N] [--timeout S]\n"
	    "                   [--pull-page N] [--push-changes N]\n"
	    "                   [--header-timeout S] [--request-timeout S]\n"
	    "                   [--min-rate B] [--body-memory MIB]\n"
	    "                   [--port-file F] [--log F] [-v]\n"
	    "                   [--key-file F] [--user NAME]\n"
	    "                   [--blob-quota-mb N] [--blob-stale-hours N]\n"
	    "                   [--licence-hours N]\n"
	    "       sync-server --data DIR [--key-file F] admin "
	    "enroll-token|revoke|stats ...\n");
	return 2;
}

static int
num_opt(const char *s, long long min, long long max, unsigned *out)
{
	long long v;

	if (s == NULL || str_to_ll(s, min, max, &v) != 0)
		return EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* The connection guard's options: 1 taken, 0 not one of them, -1 bad. */
static int
guard_opt(const char *a, const char *v, struct server_config *cfg)
{
	unsigned *out;
	long long min = 1, max = 3600;

	if (strcmp(a, "--header-timeout") == 0)
		out = &cfg->header_timeout_s;
	else if (strcmp(a, "--request-timeout") == 0)
		out = &cfg->request_timeout_s;
	else if (strcmp(a, "--min-rate") == 0) {
		out = &cfg->min_rate;
		max = 1 << 24;
	} else if (strcmp(a, "--body-memory") == 0) {
		out = &cfg->body_memory_mib;
		max = 65536;
	} else
		return 0;
	return num_opt(v, min, max, out) == 0 ? 1 : -1;
}

static int
write_port(const char *path, unsigned port)
{
	char line[16];
	int len;

	len = snprintf(line, sizeof(line), "%u\n", port);
	return fileio_write_atomic(path, line, (size_t)len, 0644);
}

static int
server_main(int argc, char **argv)
{
	struct server_config cfg;
	struct server srv;
	const char *port_file = NULL, *log_file = NULL;
	sigset_t set;
	int i, sig, err, g, verbose = 0;
	/* issue 9, item 10: the process and the store at rest */
	const char *key_file = NULL, *run_user = NULL, *why;
	unsigned blob_quota_mb = 0, blob_stale_h = 0;
	unsigned licence_h = 0; /* issue 14: snapshot lifetime, <= 7 days */
	uint8_t key[32];
	char *cause = NULL;

	if ((err = privdrop_no_core()) != 0) {
		fprintf(stderr, "sync-server: cannot disable core dumps: %s\n",
		    strerror(err));
		return 1;
	}

	memset(&cfg, 0, sizeof(cfg));
	cfg.listen = "127.0.0.1:8443";
	cfg.threads = 8; /* most wait on a group commit: more than cores */
	cfg.max_conns = 1024;
	cfg.max_per_ip = 32;
	cfg.timeout_s = 20;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "admin") == 0) {
			if (cfg.data_dir == NULL)
				return usage();
			log_init(NULL, LOG_LEVEL_WARN);
			if (server_store_key_load(key_file, key, &cause) != 0) {
				fprintf(stderr, "sync-server: %s\n", cause);
				free(cause);
				return 1;
			}
			err = admin_main(cfg.data_dir, cfg.store, key,
			    argc - i - 1, argv + i + 1);
			explicit_bzero(key, sizeof(key));
			return err;
		}
		if (strcmp(a, "-v") == 0) {
			verbose = 1;
			continue;
		}
		if (v == NULL)
			return usage();
		i++;
		if (strcmp(a, "--data") == 0)
			cfg.data_dir = v;
		else if (strcmp(a, "--store") == 0)
			cfg.store = v;
		else if (strcmp(a, "--listen") == 0)
			cfg.listen = v;
		else if (strcmp(a, "--tls-cert") == 0)
			cfg.tls_cert = v;
		else if (strcmp(a, "--tls-key") == 0)
			cfg.tls_key = v;
		else if (strcmp(a, "--port-file") == 0)
			port_file = v;
		else if (strcmp(a, "--log") == 0)
			log_file = v;
		else if (strcmp(a, "--key-file") == 0)
			key_file = v;
		else if (strcmp(a, "--user") == 0)
			run_user = v;
		else if (strcmp(a, "--blob-quota-mb") == 0) {
			if (num_opt(v, 1, 1024 * 1024, &blob_quota_mb) != 0)
				return usage();
		} else if (strcmp(a, "--licence-hours") == 0) {
			if (num_opt(v, 1, 7 * 24, &licence_h) != 0)
				return usage();
		} else if (strcmp(a, "--blob-stale-hours") == 0) {
			if (num_opt(v, 1, 24 * 365, &blob_stale_h) != 0)
				return usage();
		} else if (strcmp(a, "--threads") == 0) {
			if (num_opt(v, 1, 64, &cfg.threads) != 0)
				return usage();
		} else if (strcmp(a, "--max-conns") == 0) {
			if (num_opt(v, 1, 100000, &cfg.max_conns) != 0)
				return usage();
		} else if (strcmp(a, "--max-per-ip") == 0) {
			if (num_opt(v, 1, 100000, &cfg.max_per_ip) != 0)
				return usage();
		} else if (strcmp(a, "--timeout") == 0) {
			if (num_opt(v, 1, 3600, &cfg.timeout_s) != 0)
				return usage();
		} else if ((g = guard_opt(a, v, &cfg)) != 0) {
			if (g < 0)
				return usage();
		} else if (strcmp(a, "--pull-page") == 0) {
			if (num_opt(v, 1, PROTO_PULL_MAX, &cfg.pull_max) != 0)
				return usage();
		} else if (strcmp(a, "--push-changes") == 0) {
			if (num_opt(v, 1, PROTO_PUSH_MAX_CHANGES,
			        &cfg.push_max_changes) != 0)
				return usage();
		} else
			return usage();
	}
	if (cfg.data_dir == NULL ||
	    (cfg.tls_cert == NULL) != (cfg.tls_key == NULL))
		return usage();
	if ((err = log_init(
	         log_file, verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO)) != 0) {
		fprintf(
		    stderr, "sync-server: %s: %s\n", log_file, strerror(err));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Block the stop signals before any thread starts; main waits. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	umask(077);
	if (server_store_key_load(key_file, key, &cause) != 0) {
		fprintf(stderr, "sync-server: %s\n", cause);
		free(cause);
		return 1;
	}
	err = server_open_store(&srv, cfg.data_dir, cfg.store, key);
	explicit_bzero(key, sizeof(key));
	if (err != 0) {
		fprintf(stderr, "sync-server: cannot open %s: %s\n",
		    cfg.store ? "the --store database" : cfg.data_dir,
		    err == EPROTO ? "its database was made by a newer"
		                    " sync-server; run that version"
		        : err == EKEYREJECTED
		        ? "the store key does not open server.db (wrong"
		          " --key-file or credential?)"
		        : strerror(err));
		server_close(&srv);
		return 1;
	}
	if (blob_quota_mb != 0)
		srv.blob_quota = (uint64_t)blob_quota_mb * 1024 * 1024;
	if (blob_stale_h != 0)
		srv.blob_stale_ms = (uint64_t)blob_stale_h * 3600 * 1000;
	if (licence_h != 0)
		srv.licence_ttl_ms = (uint64_t)licence_h * 3600 * 1000;
	blobstore_seal_old(&srv); /* blobs an older version left in clear */
	blobstore_sweep(&srv); /* partial uploads left stale while down */
	srv.blob_swept_ms = server_now_ms();
	if (cfg.pull_max != 0)
		srv.pull_max = cfg.pull_max;
	if (cfg.push_max_changes != 0)
		srv.push_max_changes = cfg.push_max_changes;
	/* the emergency timer and the SMS gateway (issue 16): before
	 * dropping root, which may make gateway.conf unreadable */
	if ((err = emergency_start(&srv, 0)) != 0) {
		fprintf(stderr, "sync-server: emergency timer: %s\n",
		    strerror(err));
		server_close(&srv);
		return 1;
	}
	/* the waitlist's timer (issue 15): lapsed offers move on */
	if ((err = waitlist_start(&srv, 0)) != 0) {
		fprintf(
		    stderr, "sync-server: waitlist timer: %s\n", strerror(err));
		server_close(&srv);
		return 1;
	}
	if ((err = httpd_start(&srv, &cfg)) != 0) {
		fprintf(stderr, "sync-server: cannot listen on %s: %s\n",
		    cfg.listen, strerror(err));
		server_close(&srv);
		return 1;
	}
	log_info("listening on port %u (%s)", srv.port,
	    cfg.tls_cert ? "https" : "http");
	if (run_user != NULL &&
	    (err = privdrop_to(run_user, cfg.data_dir, log_file, &why)) != 0) {
		fprintf(stderr, "sync-server: --user %s: %s: %s\n", run_user,
		    why, strerror(err));
		httpd_stop(&srv);
		server_close(&srv);
		return 1;
	}
	if (run_user != NULL)
		log_info("running as %s", run_user);
	if (port_file != NULL && (err = write_port(port_file, srv.port)) != 0)
		log_warnx("cannot write %s: %s", port_file, strerror(err));
	if ((err = notify_send("READY=1")) != 0)
		log_warnx(
		    "cannot tell systemd we are ready: %s", strerror(err));
	while (sigwait(&set, &sig) != 0)
		;
	log_info("signal %d: stopping", sig);
	notify_send("STOPPING=1");
	httpd_stop(&srv);
	server_close(&srv);
	log_info("stopped");
	log_close();
	return 0;
}

int
main(int argc, char **argv)
{
	char **av = NULL, *cause = NULL;
	int ac, rc;

	if (conf_argv(argc, argv, &ac, &av, &cause) != 0) {
		fprintf(stderr, "sync-server: %s\n", cause);
		free(cause);
		return 2;
	}
	rc = server_main(ac, av);
	conf_argv_free(ac, av);
	return rc;
}
