/*
 * Atomic file replacement (common/fileio.c): the new contents and mode are
 * there after the call, no temporary file is left behind, and a failure
 * leaves the old file as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "test.h"
#include "xmalloc.h"

/* Entries in DIR other than . and .. */
static int
entries(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
slurp(const char *path, char *out, size_t len)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL)
		return errno;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
	return 0;
}

static int
test_write_atomic(void)
{
	char dir[] = "/tmp/outpost-fileio-XXXXXX", got[64];
	char *path = NULL, *sub = NULL, *moved = NULL;
	struct stat sb;
	int err = 0;

	TEST_TRUE(mkdtemp(dir) != NULL);
	xasprintf(&path, "%s/port", dir);
	TEST_ERR(fileio_write_atomic(path, "8443\n", 5, 0644));
	TEST_ERR(slurp(path, got, sizeof(got)));
	TEST_STR(got, "8443\n");
	TEST_ERR(stat(path, &sb) == 0 ? 0 : errno);
	TEST_EQ(sb.st_mode & 0777, 0644);
	/* replace: new bytes, new mode, nothing else in the directory */
	TEST_ERR(fileio_write_atomic(path, "x", 1, 0600));
	TEST_ERR(slurp(path, got, sizeof(got)));
	TEST_STR(got, "x");
	TEST_ERR(stat(path, &sb) == 0 ? 0 : errno);
	TEST_EQ(sb.st_mode & 0777, 0600);
	TEST_ERR(fileio_write_atomic(path, "", 0, 0600));
	TEST_ERR(stat(path, &sb) == 0 ? 0 : errno);
	TEST_EQ(sb.st_size, 0);
	TEST_EQ(entries(dir), 1);
	/* a directory in the way: the rename fails, nothing is left over */
	xasprintf(&sub, "%s/sub", dir);
	TEST_ERR(mkdir(sub, 0700) == 0 ? 0 : errno);
	xasprintf(&moved, "%s/f", sub);
	TEST_ERR(fileio_write_atomic(moved, "y", 1, 0600));
	TEST_EQ(fileio_write_atomic(sub, "z", 1, 0600), EISDIR);
	TEST_EQ(entries(dir), 2);
	TEST_EQ(entries(sub), 1);
	/* no such directory */
	TEST_EQ(fileio_write_atomic("/nonexistent-outpost/x", "z", 1, 0600),
	    ENOENT);
	/* a durable rename */
	TEST_ERR(fileio_rename(moved, path));
	TEST_ERR(slurp(path, got, sizeof(got)));
	TEST_STR(got, "y");
	TEST_EQ(entries(sub), 0);
	TEST_EQ(fileio_rename(moved, path), ENOENT);
out:
	if (moved != NULL)
		unlink(moved);
	if (sub != NULL)
		rmdir(sub);
	if (path != NULL)
		unlink(path);
	rmdir(dir);
	free(path);
	free(sub);
	free(moved);
	return err;
}

TEST_MAIN({ "write_atomic", test_write_atomic })
