/*
 * sync-server/conf.c (--config FILE) and notify.c (systemd readiness),
 * issue 18: the file's lines become options before the command line's;
 * unknown keys, repeats, lines without `=` and empty values are refused
 * with the line number; READY=1 reaches a datagram socket named by
 * $NOTIFY_SOCKET, as a path and in the abstract namespace.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sync-server/conf.h"
#include "sync-server/notify.h"
#include "test.h"

static char *
write_conf(const char *dir, const char *text)
{
	char *path;
	FILE *fp;

	if (asprintf(&path, "%s/sync-server.conf", dir) < 0)
		return NULL;
	if ((fp = fopen(path, "w")) == NULL) {
		free(path);
		return NULL;
	}
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* ARGV joined by spaces into OUT. */
static void
joined(int argc, char **argv, char *out, size_t size)
{
	size_t n = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < argc && n < size; i++)
		n += (size_t)snprintf(
		    out + n, size - n, "%s%s", i ? " " : "", argv[i]);
}

static int
test_conf_lines(void)
{
	char *dir = test_tmpdir("conf"), *path = NULL, *cause = NULL;
	char **av = NULL, line[512];
	char *argv[] = { "sync-server", "--config", NULL, "--listen",
		"127.0.0.1:9000", "admin", "stats", NULL };
	int ac = 0, err = 0;

	TEST_TRUE(dir != NULL);
	path = write_conf(dir,
	    "# the region's server\n"
	    "\n"
	    "data = /var/lib/outpost\n"
	    "  listen=0.0.0.0:8443  \n"
	    "verbose = yes\n"
	    "threads = 4\n");
	TEST_TRUE(path != NULL);
	argv[2] = path;
	TEST_ERR(conf_argv(7, argv, &ac, &av, &cause));
	joined(ac, av, line, sizeof(line));
	/* the file first, the command line after it (so it wins) */
	TEST_STR(line,
	    "sync-server --data /var/lib/outpost --listen 0.0.0.0:8443 -v "
	    "--threads 4 --listen 127.0.0.1:9000 admin stats");
	TEST_TRUE(av[ac] == NULL);
	conf_argv_free(ac, av);
	av = NULL;

	/* no --config: the command line as it is */
	TEST_ERR(conf_argv(
	    3, (char *[]){ "s", "--data", "d", NULL }, &ac, &av, &cause));
	joined(ac, av, line, sizeof(line));
	TEST_STR(line, "s --data d");
	conf_argv_free(ac, av);
	av = NULL;

	/* --config after admin belongs to the admin command */
	TEST_ERR(conf_argv(5,
	    (char *[]){ "s", "admin", "x", "--config", "/nonexistent", NULL },
	    &ac, &av, &cause));
	TEST_EQ(ac, 5);
out:
	conf_argv_free(ac, av);
	free(cause);
	free(path);
	test_rmdir(dir);
	return err;
}

/* TEXT must be refused with a cause holding WANT. */
static int
refused(const char *dir, const char *text, const char *want)
{
	char *path = write_conf(dir, text), *cause = NULL, **av = NULL;
	char *argv[] = { "sync-server", "--config", path, NULL };
	int ac = 0, err = 0, r;

	TEST_TRUE(path != NULL);
	r = conf_argv(3, argv, &ac, &av, &cause);
	if (r != EINVAL || av != NULL)
		TEST_FAILED("accepted: %s", text);
	if (cause == NULL || strstr(cause, want) == NULL)
		TEST_FAILED(
		    "cause \"%s\" lacks \"%s\"", cause ? cause : "", want);
out:
	free(cause);
	free(path);
	return err;
}

static int
test_conf_refused(void)
{
	char *dir = test_tmpdir("conf"), *cause = NULL, **av = NULL;
	int ac = 0, err = 0;

	TEST_TRUE(dir != NULL);
	TEST_ERR(
	    refused(dir, "data = /x\nlisten 1.2.3.4:5\n", "line 2: not a"));
	TEST_ERR(refused(
	    dir, "lisen = 1.2.3.4:5\n", "line 1: unknown setting 'lisen'"));
	TEST_ERR(refused(
	    dir, "data = /x\n#\ndata = /y\n", "line 3: data is given twice"));
	TEST_ERR(refused(dir, "log =\n", "line 1: log has no value"));
	TEST_ERR(refused(dir, "verbose = maybe\n", "verbose is yes or no"));
	TEST_ERR(refused(dir, "config = /etc/x\n", "unknown setting 'config'"));
	/* a missing file names it */
	TEST_EQ(conf_argv(3,
	            (char *[]){
	                "s", "--config", "/nonexistent/outpost.conf", NULL },
	            &ac, &av, &cause),
	    ENOENT);
	TEST_TRUE(cause != NULL && strstr(cause, "/nonexistent/outpost.conf"));
	free(cause);
	cause = NULL;
	TEST_EQ(
	    conf_argv(2, (char *[]){ "s", "--config", NULL }, &ac, &av, &cause),
	    EINVAL);
out:
	free(cause);
	test_rmdir(dir);
	return err;
}

/* notify_send to a socket bound at NAME ('@' for abstract): got STATE. */
static int
notify_once(const char *dir, int abstract)
{
	struct sockaddr_un sa;
	char name[108], got[64];
	socklen_t len;
	ssize_t n;
	int fd = -1, err = 0;

	if (abstract)
		snprintf(
		    name, sizeof(name), "@outpost-notify-%d", (int)getpid());
	else
		snprintf(name, sizeof(name), "%s/notify", dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, name, strlen(name));
	if (abstract)
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(name) + !abstract);
	TEST_TRUE((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) >= 0);
	TEST_EQ(bind(fd, (struct sockaddr *)&sa, len), 0);
	TEST_EQ(setenv("NOTIFY_SOCKET", name, 1), 0);
	TEST_ERR(notify_send("READY=1"));
	n = recv(fd, got, sizeof(got) - 1, MSG_DONTWAIT);
	TEST_EQ(n, 7);
	got[n] = '\0';
	TEST_STR(got, "READY=1");
out:
	if (fd >= 0)
		close(fd);
	return err;
}

static int
test_notify(void)
{
	char *dir = test_tmpdir("notify");
	int err = 0;

	TEST_TRUE(dir != NULL);
	TEST_ERR(notify_once(dir, 0));
	TEST_ERR(notify_once(dir, 1));
	/* not under systemd: nothing to do, no error */
	unsetenv("NOTIFY_SOCKET");
	TEST_ERR(notify_send("READY=1"));
	/* a relative name is refused, not sent anywhere */
	setenv("NOTIFY_SOCKET", "notify", 1);
	TEST_EQ(notify_send("READY=1"), EINVAL);
	/* a socket nobody listens on */
	setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
	TEST_TRUE(notify_send("READY=1") != 0);
out:
	unsetenv("NOTIFY_SOCKET");
	test_rmdir(dir);
	return err;
}

TEST_MAIN({ "conf_lines", test_conf_lines },
    { "conf_refused", test_conf_refused }, { "notify", test_notify })
