/* Logging: levels are checked before arguments are evaluated; lines carry
 * the module; output goes to the file given. */
#define LOG_MODULE "testmod"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "test.h"

static int evaluated;
static int
side_effect(void)
{
	return ++evaluated;
}

static int
test_log_file_and_levels(void)
{
	char path[] = "/tmp/outpost-logtest-XXXXXX", line[256];
	FILE *f = NULL;
	int fd, err = 0, found = 0;

	if ((fd = mkstemp(path)) == -1)
		TEST_FAILED("mkstemp: %s", strerror(errno));
	close(fd);
	TEST_ERR(log_init(path, LOG_LEVEL_INFO));
	log_debug("hidden %d", side_effect());
	TEST_EQ(evaluated, 0);
	log_info("record %s stored", "0192");
	errno = ENOSPC;
	log_warn("write failed");
	log_close();
	f = fopen(path, "r");
	TEST_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "info testmod: record 0192 stored") != NULL)
			found++;
		if (strstr(line, "warn testmod: write failed: No space") !=
		    NULL)
			found++;
		if (strstr(line, "hidden") != NULL)
			found = -100;
	}
	TEST_EQ(found, 2);
out:
	if (f != NULL)
		fclose(f);
	unlink(path);
	return err;
}

TEST_MAIN({ "log_file_and_levels", test_log_file_and_levels })
