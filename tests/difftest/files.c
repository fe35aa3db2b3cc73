/*
 * The test files: for each file slot two descriptors, one per side, so that a MAP_SHARED
 * write on one side can never show on the other.
 *
 * A temporary directory (mode 0755, under $TMPDIR or /tmp, removed at exit) holds two identical
 * copies of a regular file of DT_FILE_SIZE bytes of a pattern (mode 0644: readable by the
 * unprivileged pass too). Slots: the file opened O_RDWR, O_RDONLY, O_WRONLY, O_RDWR|O_APPEND
 * (EACCES cases), a directory (ENODEV), a pipe's read end (ENODEV), a descriptor number that
 * is not open and -1 (EBADF).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/difftest/dt.h"

static char paths[2][160];
static int pipes[2][2] = {{-1, -1}, {-1, -1}};

static const char *const names[FS_NSLOTS] = {
    "rdwr", "rdonly", "wronly", "append", "dir", "pipe", "closed", "-1",
};

const char *fslot_name(int fslot)
{
	return fslot < 0 ? "anon" : names[fslot];
}

static int write_file(const char *path)
{
	static char buf[DT_FILE_SIZE];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	pattern_fill(buf, sizeof(buf), 0xf11e);
	if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
		close(fd);
		return -EIO;
	}
	fchmod(fd, 0644);
	close(fd);
	return 0;
}

static int open_side(int side)
{
	static const int modes[] = {O_RDWR, O_RDONLY, O_WRONLY, O_RDWR | O_APPEND};
	int *fd = dt.fd[side];

	for (int i = 0; i < 4; i++) {
		fd[i] = open(paths[side], modes[i] | O_CLOEXEC);
		if (fd[i] < 0)
			return -errno;
	}
	fd[FS_DIR] = open(dt.tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd[FS_DIR] < 0 || pipe2(pipes[side], O_CLOEXEC) < 0)
		return -errno;
	fd[FS_PIPE] = pipes[side][0];
	/* A number that stays unused: far above anything the run opens. */
	fd[FS_CLOSED] = 9999;
	fd[FS_MINUS1] = -1;
	return 0;
}

int files_setup(void)
{
	const char *tmp = getenv("TMPDIR");
	int e;

	snprintf(dt.tmpdir, sizeof(dt.tmpdir), "%s/starmm-difftest-XXXXXX",
		 tmp && *tmp && strlen(tmp) < sizeof(dt.tmpdir) - 24 ? tmp : "/tmp");
	if (!mkdtemp(dt.tmpdir))
		return -errno;
	chmod(dt.tmpdir, 0755);
	for (int side = 0; side < 2; side++) {
		snprintf(paths[side], sizeof(paths[side]), "%s/file%d", dt.tmpdir, side);
		e = write_file(paths[side]);
		if (!e)
			e = open_side(side);
		if (e)
			return e;
	}
	return 0;
}

void files_cleanup(void)
{
	for (int side = 0; side < 2; side++) {
		for (int i = 0; i <= FS_DIR; i++)
			if (dt.fd[side][i] > 0)
				close(dt.fd[side][i]);
		for (int i = 0; i < 2; i++)
			if (pipes[side][i] >= 0)
				close(pipes[side][i]);
		if (paths[side][0])
			unlink(paths[side]);
	}
	if (dt.tmpdir[0])
		rmdir(dt.tmpdir);
	dt.tmpdir[0] = 0;
}

int file_fd(int side, int fslot)
{
	return fslot < 0 ? -1 : dt.fd[side][fslot];
}
