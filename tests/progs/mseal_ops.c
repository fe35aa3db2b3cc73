/* mseal(2) (Linux 6.10): its argument checks, and what a sealed mapping refuses afterwards —
 * munmap, mprotect, pkey_mprotect, mremap, mmap(MAP_FIXED) over it, brk shrinking into it, the
 * discarding madvise advice on memory the program cannot write — each with Linux's errno and
 * nothing changed, also for ranges only partly sealed; what it still allows (writes, mlock,
 * discarding writable memory, unsealed neighbours); and that a forked child inherits the
 * seal. Each answer is checked against what the memory then holds. */
#include <sys/syscall.h>

#include "progs.h"

#ifndef SYS_mseal
#define SYS_mseal 462
#endif

#define RW (PROT_READ | PROT_WRITE)

static size_t P;

static long sys_mseal(void *addr, size_t len, unsigned long flags)
{
	return syscall(SYS_mseal, addr, len, flags);
}

static char *anon(int n, int prot)
{
	char *p = mmap(NULL, n * P, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED, "mmap");
	return p;
}

static void arguments(void)
{
	char *p = anon(4, RW);

	EXPECT("mseal flags 1", sys_mseal(p, P, 1) != 0, EINVAL);
	EXPECT("mseal unaligned start", sys_mseal(p + 1, P, 0) != 0, EINVAL);
	EXPECT("mseal length 0", sys_mseal(p, 0, 0) != 0, 0);
	EXPECT("mseal wrapping length", sys_mseal(p, (size_t)-P, 0) != 0, EINVAL);
	CHECK(munmap(p + 2 * P, P) == 0);
	EXPECT("mseal over a hole", sys_mseal(p, 4 * P, 0) != 0, ENOMEM);
	/* nothing was sealed: the first page still unmaps */
	EXPECT("munmap after a failed mseal", munmap(p, P) != 0, 0);
	EXPECT("mseal unaligned length (rounded up)", sys_mseal(p + P, 1, 0) != 0, 0);
	EXPECT("munmap of the page sealed by a 1-byte mseal", munmap(p + P, P) != 0, EPERM);
	EXPECT("mseal twice", sys_mseal(p + P, P, 0) != 0, 0);
}

static void refusals(void)
{
	char *p = anon(6, RW), *q;

	memset(p, 's', 6 * P);
	EXPECT("mseal the middle 2 pages", sys_mseal(p + 2 * P, 2 * P, 0) != 0, 0);
	EXPECT("munmap sealed", munmap(p + 2 * P, P) != 0, EPERM);
	EXPECT("munmap across sealed", munmap(p, 6 * P) != 0, EPERM);
	CHECK(pages_are(p, 6 * P, 1), "nothing unmapped");
	EXPECT("munmap unsealed neighbour", munmap(p + 5 * P, P) != 0, 0);
	EXPECT("mprotect sealed", mprotect(p + 2 * P, P, PROT_READ) != 0, EPERM);
	EXPECT("mprotect across sealed", mprotect(p, 4 * P, PROT_READ) != 0, EPERM);
	/* Linux changes the mappings before the sealed one, then refuses (6.18) */
	ACCESS_MAP("access after refused mprotects", p, 5, "rrwww");
	CHECK(mprotect(p, 2 * P, RW) == 0);
	EXPECT("pkey_mprotect sealed", syscall(SYS_pkey_mprotect, p + 2 * P, P, PROT_READ, -1) != 0,
	       EPERM);
	q = (char *)syscall(SYS_mremap, p + 2 * P, P, 2 * P, MREMAP_MAYMOVE);
	EXPECT("mremap sealed (grow)", q == MAP_FAILED, EPERM);
	q = (char *)syscall(SYS_mremap, p + 2 * P, 2 * P, P, 0);
	EXPECT("mremap sealed (shrink)", q == MAP_FAILED, EPERM);
	q = (char *)syscall(SYS_mremap, p, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, p + 3 * P);
	EXPECT("mremap onto sealed", q == MAP_FAILED, EPERM);
	q = mmap(p + 3 * P, P, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	EXPECT("mmap MAP_FIXED over sealed", q == MAP_FAILED, EPERM);
	q = mmap(p, 4 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	EXPECT("mmap MAP_FIXED across sealed", q == MAP_FAILED, EPERM);
	CHECK(all_bytes(p, 5 * P, 's'), "every byte kept");
	/* still allowed */
	EXPECT("write to sealed", try_write(p + 2 * P, 'w') != 0, 0);
	EXPECT("mlock sealed", mlock(p + 2 * P, 2 * P) != 0, 0);
	EXPECT("munlock sealed", munlock(p + 2 * P, 2 * P) != 0, 0);
	EXPECT("madvise DONTNEED sealed writable", madvise(p + 3 * P, P, MADV_DONTNEED) != 0, 0);
	CHECK(zero(p + 3 * P, P), "discarded");
	EXPECT("madvise WILLNEED sealed", madvise(p + 2 * P, P, MADV_WILLNEED) != 0, 0);
}

static void read_only(void)
{
	char *p = anon(4, RW);

	memset(p, 'r', 4 * P);
	CHECK(mprotect(p + 2 * P, 2 * P, PROT_READ) == 0);
	EXPECT("mseal read-only and writable", sys_mseal(p + P, 3 * P, 0) != 0, 0);
	EXPECT("madvise DONTNEED sealed read-only", madvise(p + 2 * P, P, MADV_DONTNEED) != 0,
	       EPERM);
	EXPECT("madvise FREE sealed read-only", madvise(p + 2 * P, P, MADV_FREE) != 0, EPERM);
	EXPECT("madvise DONTNEED_LOCKED sealed read-only",
	       madvise(p + 2 * P, P, MADV_DONTNEED_LOCKED) != 0, EPERM);
	EXPECT("madvise DONTFORK sealed read-only", madvise(p + 2 * P, P, MADV_DONTFORK) != 0,
	       EPERM);
	EXPECT("madvise WIPEONFORK sealed read-only", madvise(p + 2 * P, P, MADV_WIPEONFORK) != 0,
	       EPERM);
	EXPECT("madvise DONTNEED from unsealed to sealed read-only",
	       madvise(p, 3 * P, MADV_DONTNEED) != 0, EPERM);
	/* the walk discards what comes before the refusing mapping (6.18), sealed writable
	 * memory included */
	CHECK(zero(p, 2 * P), "discarded up to the sealed read-only page");
	CHECK(all_bytes(p + 2 * P, 2 * P, 'r'), "sealed read-only bytes kept");
	EXPECT("madvise NORMAL sealed read-only", madvise(p + 2 * P, P, MADV_NORMAL) != 0, 0);
}

static void inherited(void)
{
	char *p = anon(2, RW);
	pid_t pid;

	CHECK(sys_mseal(p, 2 * P, 0) == 0);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		EXPECT("munmap sealed in the child", munmap(p, P) != 0, EPERM);
		_exit(0);
	}
	reap(pid);
}

static void heap(void)
{
	char *top = sbrk(0), *grown;

	CHECK(top != (char *)-1);
	grown = (char *)((((uintptr_t)top + P - 1) & ~(P - 1)) + 2 * P);
	CHECK(brk(grown) == 0, "brk up");
	CHECK(sys_mseal(grown - P, P, 0) == 0, "mseal the heap's last page");
	/* the raw call: it returns the break, which stays (glibc's brk() would say 0) */
	CHECK(syscall(SYS_brk, grown - P) == (long)grown, "brk shrinking into the sealed page");
	CHECK(syscall(SYS_brk, grown - P) == (long)grown);
	printf("brk shrinking into the sealed page: the break stays\n");
}

int main(void)
{
	P = page_size();
	catch_fault(SIGSEGV, 0);
	arguments();
	refusals();
	read_only();
	inherited();
	heap();
	printf("mseal_ops: all ok\n");
	return 0;
}
