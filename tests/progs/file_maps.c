/* Maps a four-page temporary file shared and private and checks how mappings and file I/O see
 * each other: shared writes reach the file (pread sees them, before and after msync), private
 * writes do not, a pwrite shows through a shared mapping and through the pages of a private
 * mapping that were never written, a written private page keeps its own copy, pages past the end
 * of the file raise SIGBUS, and growing the file with ftruncate makes them usable. The supervisor
 * must leave file-backed memory to the page cache exactly as Linux does. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "progs.h"

/* Prints "<what>: <signal>" for an access and fails unless it matches Linux's answer. */
#define EXPECT_SIG(what, got, want) expect_str(what, sname(got), sname(want), __LINE__)

static size_t P;
static int fd;

static const char *sname(int sig)
{
	switch (sig) {
	case 0:
		return "ok";
	case SIGBUS:
		return "SIGBUS";
	case SIGSEGV:
		return "SIGSEGV";
	default:
		return "SIG?";
	}
}

static unsigned char pat(size_t i, int seed)
{
	(void)seed;
	return (unsigned char)(i * 3 + (i / P) * 17 + 2);
}

/* The byte at offset off of the file. */
static char file_byte(size_t off)
{
	char c;

	CHECK(pread(fd, &c, 1, (off_t)off) == 1);
	return c;
}

static void put_byte(size_t off, char c)
{
	CHECK(pwrite(fd, &c, 1, (off_t)off) == 1);
}

int main(void)
{
	char path[4096], *buf, *s, *m;

	P = (size_t)sysconf(_SC_PAGESIZE);
	catch_fault(SIGBUS, 0);
	catch_fault(SIGSEGV, 0);

	fd = temp_file("file_maps", path, sizeof(path));
	unlink(path);
	buf = malloc(4 * P);
	CHECK(buf != NULL);
	fill(buf, 0, 4 * P, pat, 0);
	CHECK(pwrite(fd, buf, 4 * P, 0) == (ssize_t)(4 * P));

	s = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT("mmap shared file", s == MAP_FAILED, 0);
	m = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT("mmap private file", m == MAP_FAILED, 0);
	CHECK(holds(s, 0, 4 * P, pat, 0) && holds(m, 0, 4 * P, pat, 0));

	/* A shared write is in the file at once, and after msync(MS_SYNC) too. */
	s[10] = 'S';
	CHECK(file_byte(10) == 'S');
	printf("shared write seen by pread: ok\n");
	EXPECT("msync MS_SYNC", msync(s, 4 * P, MS_SYNC) != 0, 0);
	CHECK(file_byte(10) == 'S');
	/* The private mapping has not written page 0, so it shows the shared write as well. */
	CHECK(m[10] == 'S');
	printf("private untouched page sees shared write: ok\n");

	/* A private write stays private. */
	m[P + 5] = 'M';
	CHECK(file_byte(P + 5) == (char)pat(P + 5, 0) && s[P + 5] == (char)pat(P + 5, 0));
	CHECK(m[P + 5] == 'M' && holds(m, P + 6, 2 * P, pat, 0));
	printf("private write not in file: ok\n");

	/* pwrite shows through the shared mapping and through the private mapping's page that was
	 * never written; the written private page keeps its copy. */
	put_byte(2 * P + 7, 'W');
	put_byte(P + 5, 'V');
	put_byte(P + 6, 'U');
	CHECK(s[2 * P + 7] == 'W' && s[P + 5] == 'V' && s[P + 6] == 'U');
	printf("pwrite seen by shared mapping: ok\n");
	CHECK(m[2 * P + 7] == 'W');
	printf("pwrite seen by untouched private page: ok\n");
	CHECK(m[P + 5] == 'M' && m[P + 6] == (char)pat(P + 6, 0));
	printf("pwrite not seen by written private page: ok\n");
	CHECK(munmap(m, 4 * P) == 0);
	CHECK(munmap(s, 4 * P) == 0);
	put_byte(10, (char)pat(10, 0));
	put_byte(P + 5, (char)pat(P + 5, 0));
	put_byte(P + 6, (char)pat(P + 6, 0));
	put_byte(2 * P + 7, (char)pat(2 * P + 7, 0));

	/* Six pages over a four-page file: the mapping is made, the last page of the file works,
	 * the pages past the end raise SIGBUS for shared and private mappings alike. */
	s = mmap(NULL, 6 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT("mmap shared past EOF", s == MAP_FAILED, 0);
	m = mmap(NULL, 6 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT("mmap private past EOF", m == MAP_FAILED, 0);
	EXPECT_SIG("shared read last file page", try_read(s + 4 * P - 1), 0);
	EXPECT_SIG("shared read past EOF", try_read(s + 4 * P), SIGBUS);
	EXPECT_SIG("shared write past EOF", try_write(s + 5 * P + 3, 1), SIGBUS);
	EXPECT_SIG("private read past EOF", try_read(m + 4 * P), SIGBUS);
	EXPECT_SIG("private write past EOF", try_write(m + 5 * P, 1), SIGBUS);
	CHECK(holds(s, 0, 4 * P, pat, 0) && holds(m, 0, 4 * P, pat, 0));

	/* Growing the file makes those pages usable: they read zero, and a shared write lands in
	 * the file. */
	EXPECT("ftruncate to 6 pages", ftruncate(fd, (off_t)(6 * P)) != 0, 0);
	EXPECT_SIG("shared read after growth", try_read(s + 4 * P), 0);
	EXPECT_SIG("private write after growth", try_write(m + 5 * P, 'p'), 0);
	for (size_t i = 4 * P; i < 6 * P; i++)
		CHECK(s[i] == 0 && (i == 5 * P || m[i] == 0));
	s[5 * P + 1] = 'G';
	CHECK(file_byte(5 * P + 1) == 'G' && m[5 * P + 1] == 0 && m[5 * P] == 'p');
	CHECK(file_byte(5 * P) == 0);
	printf("grown pages: ok\n");

	/* Shrinking to the middle of page 2: the rest of that page reads zero, the pages after it
	 * raise SIGBUS again. */
	EXPECT("ftruncate to 2 pages + 100", ftruncate(fd, (off_t)(2 * P + 100)) != 0, 0);
	EXPECT_SIG("shared read in last partial page", try_read(s + 3 * P - 1), 0);
	CHECK(holds(s, 0, 2 * P + 100, pat, 0));
	for (size_t i = 2 * P + 100; i < 3 * P; i++)
		CHECK(s[i] == 0);
	printf("tail of partial page zero: ok\n");
	EXPECT_SIG("shared read past new EOF", try_read(s + 3 * P), SIGBUS);
	EXPECT_SIG("shared read past new EOF (grown page)", try_read(s + 5 * P), SIGBUS);
	/* Truncation takes away private copies past the new end as well. */
	EXPECT_SIG("private written page past new EOF", try_read(m + 5 * P), SIGBUS);
	EXPECT_SIG("private read in last partial page", try_read(m + 2 * P + 100), 0);
	CHECK(m[2 * P + 100] == 0 && m[2 * P + 99] == (char)pat(2 * P + 99, 0));

	/* msync errors. */
	EXPECT("msync unaligned", msync(s + 1, P, MS_ASYNC) != 0, EINVAL);
	CHECK(munmap(s + 4 * P, 2 * P) == 0);
	EXPECT("msync range with hole", msync(s, 6 * P, MS_ASYNC) != 0, ENOMEM);

	CHECK(munmap(s, 4 * P) == 0 && munmap(m, 6 * P) == 0);
	free(buf);
	close(fd);
	printf("file_maps: all ok\n");
	return 0;
}
