/* Guard regions (MADV_GUARD_INSTALL / MADV_GUARD_REMOVE): which mappings take them, what a guard
 * page does to an access (SIGSEGV, SEGV_MAPERR, si_addr the address) and to what the page held,
 * the errors of the two advice (mlocked mappings, holes, unaligned starts), what other system
 * calls make of a guard page (write, read, MADV_POPULATE_*, mlock, mincore), and how guards live
 * on through MADV_DONTNEED, MADV_FREE, mprotect, mremap, fork (with MADV_WIPEONFORK and
 * MADV_DONTFORK), munmap and MAP_FIXED. Guards are seen only by access and by system call
 * results, never through pagemap. The supervisor has to keep guard pages itself, so each of
 * these must come out as on Linux. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "progs.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE  103
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ  22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif

#define RW (PROT_READ | PROT_WRITE)
#define N  8 /* pages in most mappings */

static size_t P;

/* An anonymous mapping of n pages (private or shared), at addr with MAP_FIXED when addr is set. */
static char *anon(char *addr, int n, int prot, int shared)
{
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | (addr ? MAP_FIXED : 0);
	char *p = mmap(addr, n * P, prot, flags, -1, 0);

	CHECK(p != MAP_FAILED && (!addr || p == addr));
	return p;
}

/* A new N-page temporary file of 'F's mapped private or shared (the file is already unlinked). */
static char *file_map(int prot, int shared)
{
	char path[256], *buf = malloc(N * P), *p;
	int fd = temp_file("guard_regions", path, sizeof(path));

	CHECK(buf != NULL && unlink(path) == 0);
	memset(buf, 'F', N * P);
	CHECK(write(fd, buf, N * P) == (ssize_t)(N * P));
	p = mmap(NULL, N * P, prot, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED && close(fd) == 0);
	free(buf);
	return p;
}

static int install(char *p, int from, int to) /* pages [from, to) */
{
	return madvise(p + from * P, (to - from) * P, MADV_GUARD_INSTALL);
}

static int remove_guard(char *p, int from, int to)
{
	return madvise(p + from * P, (to - from) * P, MADV_GUARD_REMOVE);
}

static int page_is(const char *p, int pg, int v)
{
	return all_bytes(p + pg * P, P, v);
}

/* Whether reading a faults as a guard page does: SIGSEGV, SEGV_MAPERR, si_addr a. */
static int is_guard(char *a)
{
	int sig = try_read(a);

	CHECK(sig == 0 || sig == SIGSEGV);
	return sig == SIGSEGV && fault_code == SEGV_MAPERR && fault_addr == a;
}

/* Prints "<what>: <si_code of reading a>" and fails unless it is `code` with si_addr a. */
#define FAULTS(what, a, code) faults(what, a, code, __LINE__)
static void faults(const char *what, char *a, int code, int line)
{
	int sig = try_read(a);

	CHECK(sig == 0 || sig == SIGSEGV);
	expect_as(segv_code_name, what, sig ? fault_code : 0, code, line);
	if (sig && fault_addr != a) {
		printf("FAIL %s: si_addr %p, not %p (line %d)\n", what, fault_addr, (void *)a,
		       line);
		exit(1);
	}
}

/* Whether the mapping holding a has VmFlags flag (two letters) in /proc/self/smaps. */
static int vm_flag(const char *a, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long lo, hi;
	int in = 0, found = 0;

	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = lo <= (uintptr_t)a && (uintptr_t)a < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0)
			for (char *t = strtok(line + 8, " \n"); t; t = strtok(NULL, " \n"))
				found |= strcmp(t, flag) == 0;
	}
	fclose(f);
	return found;
}

/* 1. Where a guard can go, and what a guard page looks like to an access. */
static void install_kinds(void)
{
	static const struct {
		const char *name;
		int prot, shared, file;
		const char *want;
	} k[] = {
	    {"private anon", RW, 0, 0, "w--wwwww"},
	    {"shared anon", RW, 1, 0, "w--wwwww"},
	    {"private file", RW, 0, 1, "w--wwwww"},
	    {"shared file", RW, 1, 1, "w--wwwww"},
	    {"private anon ro", PROT_READ, 0, 0, "r--rrrrr"},
	    {"PROT_NONE", PROT_NONE, 0, 0, "--------"},
	};
	char what[80];

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		char *p = k[i].file ? file_map(k[i].prot, k[i].shared)
				    : anon(NULL, N, k[i].prot, k[i].shared);

		snprintf(what, sizeof(what), "guard install %s", k[i].name);
		EXPECT(what, install(p, 1, 3) != 0, 0);
		snprintf(what, sizeof(what), "access %s", k[i].name);
		ACCESS_MAP(what, p, N, k[i].want);
		/* In a PROT_NONE mapping the protection is what faults, before any guard. */
		snprintf(what, sizeof(what), "read guard page %s", k[i].name);
		FAULTS(what, p + P, k[i].prot == PROT_NONE ? SEGV_ACCERR : SEGV_MAPERR);
		FAULTS(what, p + 2 * P + 123, k[i].prot == PROT_NONE ? SEGV_ACCERR : SEGV_MAPERR);
		CHECK(munmap(p, N * P) == 0);
	}
}

/* 2. What pages 1..2, written 'A' before the guard, hold once it is removed. */
static void content_after_remove(void)
{
	static const struct {
		const char *name;
		int shared, file, want;
	} k[] = {
	    {"private anon", 0, 0, 0},
	    {"shared anon", 1, 0, 'A'},
	    {"private file", 0, 1, 'F'},
	    {"shared file", 1, 1, 'A'},
	};
	char what[80];

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		char *p = k[i].file ? file_map(RW, k[i].shared) : anon(NULL, N, RW, k[i].shared);

		memset(p, 'A', N * P);
		CHECK(install(p, 1, 3) == 0);
		snprintf(what, sizeof(what), "guard remove %s", k[i].name);
		EXPECT(what, remove_guard(p, 1, 3) != 0, 0);
		snprintf(what, sizeof(what), "access after remove %s", k[i].name);
		ACCESS_MAP(what, p, N, "wwwwwwww");
		CHECK(page_is(p, 1, k[i].want) && page_is(p, 2, k[i].want),
		      "removed guard content");
		for (int pg = 0; pg < N; pg++)
			CHECK(pg == 1 || pg == 2 || page_is(p, pg, 'A'), "unguarded page content");
		printf("content after remove %s: %s\n", k[i].name,
		       k[i].want ? (k[i].want == 'A' ? "kept" : "file's") : "zero");
		CHECK(munmap(p, N * P) == 0);
	}
}

/* 3. The errors of MADV_GUARD_INSTALL and MADV_GUARD_REMOVE. */
static void errors(void)
{
	char *p = anon(NULL, N, RW, 0), *r;

	CHECK(mlock(p, N * P) == 0);
	EXPECT("guard install mlocked", install(p, 1, 3) != 0, EINVAL);
	EXPECT("guard remove mlocked", remove_guard(p, 1, 3) != 0, 0);
	ACCESS_MAP("access mlocked", p, N, "wwwwwwww");
	CHECK(munlock(p, N * P) == 0);
	CHECK(mlock2(p, N * P, MLOCK_ONFAULT) == 0);
	EXPECT("guard install mlock2 ONFAULT", install(p, 1, 3) != 0, EINVAL);
	CHECK(munlock(p, N * P) == 0);

	EXPECT("guard install len 0", madvise(p, 0, MADV_GUARD_INSTALL) != 0, 0);
	EXPECT("guard install unaligned", madvise(p + 1, P, MADV_GUARD_INSTALL) != 0, EINVAL);
	ACCESS_MAP("access after refusals", p, N, "wwwwwwww");
	EXPECT("guard install", install(p, 1, 3) != 0, 0);
	EXPECT("guard install again", install(p, 1, 3) != 0, 0);
	ACCESS_MAP("access installed twice", p, N, "w--wwwww");
	EXPECT("guard remove unguarded", remove_guard(p, 4, 6) != 0, 0);
	ACCESS_MAP("access after remove unguarded", p, N, "w--wwwww");

	/* A hole in the range: ENOMEM, both sides done all the same. */
	CHECK(munmap(p + 4 * P, P) == 0);
	CHECK(remove_guard(p, 1, 3) == 0);
	EXPECT("guard install over hole", install(p, 1, 7) != 0, ENOMEM);
	ACCESS_MAP("access install over hole", p, N, "w---x--w");
	EXPECT("guard remove over hole", remove_guard(p, 1, 7) != 0, ENOMEM);
	ACCESS_MAP("access remove over hole", p, N, "wwwwxwww");
	CHECK(munmap(p, N * P) == 0);

	/* An unlocked mapping, then a locked one right after it: EINVAL once the walk reaches the
	 * locked one, the unlocked part already guarded. */
	r = free_range(N * P);
	anon(r, 4, RW, 0);
	anon(r + 4 * P, 4, RW, 0);
	CHECK(mlock(r + 4 * P, 4 * P) == 0);
	EXPECT("guard install unlocked then locked", install(r, 2, 6) != 0, EINVAL);
	ACCESS_MAP("access unlocked then locked", r, N, "ww--wwww");
	CHECK(munmap(r, N * P) == 0);
}

/* 4. System calls that touch a guard page. */
static void syscalls(void)
{
	char *p = anon(NULL, N, RW, 0), *g = p + P;
	unsigned char vec[1];
	int fds[2];

	memset(p, 'A', N * P);
	CHECK(install(p, 1, 3) == 0 && pipe(fds) == 0);
	EXPECT("write from guard page", write(fds[1], g, 10) < 0, EFAULT);
	CHECK(write(fds[1], "x", 1) == 1); /* so that the read below cannot block */
	EXPECT("read into guard page", read(fds[0], g, 1) < 0, EFAULT);
	CHECK(close(fds[0]) == 0 && close(fds[1]) == 0);
	EXPECT("madvise POPULATE_READ over guard", madvise(p, 4 * P, MADV_POPULATE_READ) != 0,
	       EFAULT);
	EXPECT("madvise POPULATE_WRITE over guard", madvise(p, 4 * P, MADV_POPULATE_WRITE) != 0,
	       EFAULT);

	/* mlock locks the mapping, then fails to fault the guard pages in. */
	EXPECT("mlock over guard", mlock(p, N * P) != 0, ENOMEM);
	CHECK(vm_flag(p, "lo"), "mapping locked after mlock ENOMEM");
	printf("mapping locked after mlock over guard: yes\n");
	CHECK(munlock(p, N * P) == 0 && !vm_flag(p, "lo"));
	EXPECT("mlock2 ONFAULT over guard", mlock2(p, N * P, MLOCK_ONFAULT) != 0, 0);
	CHECK(munlock(p, N * P) == 0);
	CHECK(is_guard(g) && page_is(p, 0, 'A') && page_is(p, 3, 'A'));

	CHECK(mincore(g, P, vec) == 0);
	printf("mincore guard page: %s\n", vec[0] & 1 ? "resident" : "not resident");
	CHECK((vec[0] & 1) == 0);
	CHECK(munmap(p, N * P) == 0);
}

/* 5. Advice and mprotect over a guard page leave it a guard. */
static void advice_and_mprotect(void)
{
	char *p = anon(NULL, N, RW, 0);

	memset(p, 'A', N * P);
	CHECK(install(p, 1, 3) == 0);
	EXPECT("madvise DONTNEED over guard", madvise(p, 4 * P, MADV_DONTNEED) != 0, 0);
	FAULTS("read guard after DONTNEED", p + P, SEGV_MAPERR);
	EXPECT("madvise FREE over guard", madvise(p, 4 * P, MADV_FREE) != 0, 0);
	FAULTS("read guard after FREE", p + P, SEGV_MAPERR);
	EXPECT("mprotect READ over guard", mprotect(p, N * P, PROT_READ) != 0, 0);
	ACCESS_MAP("access after mprotect READ", p, N, "r--rrrrr");
	EXPECT("mprotect RW over guard", mprotect(p, N * P, RW) != 0, 0);
	ACCESS_MAP("access after mprotect RW", p, N, "w--wwwww");
	CHECK(page_is(p, 4, 'A'));
	CHECK(munmap(p, N * P) == 0);
}

static char *remap(char *old, size_t old_len, size_t new_len, int flags, char *new_addr)
{
	return (char *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

/* 6. mremap carries the guard along. */
static void mremap_guards(void)
{
	char *p = anon(NULL, 4, RW, 0), *t = free_range(4 * P), *q;

	memset(p, 'A', 4 * P);
	CHECK(install(p, 0, 1) == 0);
	q = remap(p, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, t);
	EXPECT("mremap move with guard", q == MAP_FAILED, 0);
	CHECK(q == t && pages_are(p, 4 * P, 0));
	ACCESS_MAP("access moved", t, 4, "-www");
	CHECK(page_is(t, 1, 'A') && page_is(t, 3, 'A'));
	CHECK(munmap(t, 4 * P) == 0);

	/* Grow in place into room made by unmapping the top of a bigger mapping. */
	p = anon(NULL, N, RW, 0);
	CHECK(munmap(p + 4 * P, 4 * P) == 0);
	memset(p, 'A', 4 * P);
	CHECK(install(p, 1, 2) == 0);
	q = remap(p, 4 * P, N * P, 0, NULL);
	EXPECT("mremap grow in place with guard", q == MAP_FAILED, 0);
	CHECK(q == p);
	CHECK(zero(p + 4 * P, 4 * P), "grown pages zero");
	ACCESS_MAP("access grown", p, N, "w-wwwwww");
	CHECK(page_is(p, 0, 'A') && page_is(p, 2, 'A') && page_is(p, 3, 'A'));
	CHECK(munmap(p, N * P) == 0);

	/* MREMAP_DONTUNMAP: the guard goes with the pages, the old range is left empty. */
	p = anon(NULL, 4, RW, 0);
	memset(p, 'A', 4 * P);
	CHECK(install(p, 1, 2) == 0);
	q = remap(p, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	EXPECT("mremap DONTUNMAP with guard", q == MAP_FAILED, 0);
	ACCESS_MAP("access new range", q, 4, "w-ww");
	CHECK(page_is(q, 0, 'A') && page_is(q, 2, 'A') && page_is(q, 3, 'A'));
	ACCESS_MAP("access old range", p, 4, "wwww");
	CHECK(zero(p, 4 * P), "old range zero");
	CHECK(munmap(p, 4 * P) == 0 && munmap(q, 4 * P) == 0);
}

/* 7. What a child gets. */
static void fork_guards(void)
{
	char *pa = anon(NULL, N, RW, 0), *sa = anon(NULL, N, RW, 1), *pf = file_map(RW, 0);
	char *wipe = anon(NULL, N, RW, 0), *dont = anon(NULL, N, RW, 0);
	char *m[] = {pa, sa, pf, wipe, dont};
	pid_t pid;

	for (int i = 0; i < 5; i++) {
		memset(m[i], 'A', N * P);
		CHECK(install(m[i], 1, 3) == 0);
	}
	CHECK(madvise(wipe, N * P, MADV_WIPEONFORK) == 0);
	CHECK(madvise(dont, N * P, MADV_DONTFORK) == 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 3; i++) {
			CHECK(is_guard(m[i] + P) && is_guard(m[i] + 2 * P), "guard in child");
			for (int pg = 0; pg < N; pg++)
				CHECK(pg == 1 || pg == 2 || page_is(m[i], pg, 'A'));
		}
		ACCESS_MAP("child: access WIPEONFORK", wipe, N, "wwwwwwww");
		CHECK(zero(wipe, N * P), "WIPEONFORK zero in child");
		CHECK(!mapped(dont, P) && pages_are(dont, N * P, 0), "DONTFORK absent in child");
		printf("child: DONTFORK mapping absent\n");
		exit(0);
	}
	reap(pid);
	printf("fork: child saw the guards of private anon, shared anon and private file\n");
	for (int i = 0; i < 5; i++) {
		CHECK(is_guard(m[i] + P) && page_is(m[i], 0, 'A') && page_is(m[i], 3, 'A'));
		CHECK(munmap(m[i], N * P) == 0);
	}
}

/* 8. A new mapping where a guard was has no guard. */
static void new_mapping(void)
{
	char *p = anon(NULL, N, RW, 0);

	CHECK(install(p, 1, 3) == 0);
	CHECK(munmap(p, N * P) == 0);
	anon(p, N, RW, 0);
	ACCESS_MAP("access munmap then mmap", p, N, "wwwwwwww");
	CHECK(install(p, 1, 3) == 0);
	anon(p + P, 1, RW, 0);
	ACCESS_MAP("access MAP_FIXED over guard", p, N, "ww-wwwww");
	CHECK(munmap(p, N * P) == 0);
}

/* 9. munmap in the middle leaves the guard beyond it where it was, also for a child. */
static void middle_munmap(void)
{
	char *p = anon(NULL, N, RW, 0);
	pid_t pid;

	memset(p, 'A', N * P);
	CHECK(install(p, 6, 7) == 0);
	CHECK(munmap(p + 2 * P, 2 * P) == 0);
	ACCESS_MAP("access after middle munmap", p, N, "wwxxww-w");
	CHECK(is_guard(p + 6 * P));
	for (int pg = 0; pg < N; pg++)
		CHECK(pg == 2 || pg == 3 || pg == 6 || page_is(p, pg, 'A'));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		ACCESS_MAP("child: access after middle munmap", p, N, "wwxxww-w");
		CHECK(is_guard(p + 6 * P));
		for (int pg = 0; pg < N; pg++)
			CHECK(pg == 2 || pg == 3 || pg == 6 || page_is(p, pg, 'A'));
		exit(0);
	}
	reap(pid);
	CHECK(munmap(p, 2 * P) == 0 && munmap(p + 4 * P, 4 * P) == 0);
}

int main(void)
{
	P = page_size();
	catch_fault(SIGSEGV, 0);
	install_kinds();
	content_after_remove();
	errors();
	syscalls();
	advice_and_mprotect();
	mremap_guards();
	fork_guards();
	new_mapping();
	middle_munmap();
	printf("guard_regions: all ok\n");
	return 0;
}
