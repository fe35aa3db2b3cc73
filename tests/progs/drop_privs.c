/* A program that gives up what lets a process open another's descriptors through /proc, then
 * keeps working with memory: one child drops root for nobody (setresuid/setresgid 65534), one
 * unmounts /proc in a mount namespace of its own. Each then maps, writes, unmaps a middle part,
 * grows by mremap, forks a child that checks and changes the memory, and execs /bin/true from
 * a grandchild. Must run as root. Under starmm-run this is the pidfd_getfd route: the tracee
 * can no longer open /proc/<supervisor>/fd/N. */
#include <sched.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#include "progs.h"

#define NOBODY 65534

static void memory_work(const char *who)
{
	size_t P = page_size();
	char *p = mmap(NULL, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *q;
	pid_t pid;

	CHECK(p != MAP_FAILED, "mmap");
	memset(p, 'a', 8 * P);
	CHECK(munmap(p + 2 * P, 2 * P) == 0, "munmap of the middle");
	CHECK(all_bytes(p, 2 * P, 'a') && all_bytes(p + 4 * P, 4 * P, 'a'), "both parts kept");
	q = (char *)syscall(SYS_mremap, p + 4 * P, 4 * P, 64 * P, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED, "mremap");
	CHECK(all_bytes(q, 4 * P, 'a') && zero(q + 4 * P, 60 * P), "moved and grown");
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		pid_t g;

		CHECK(all_bytes(q, 4 * P, 'a'), "the child sees the parent's memory");
		memset(q, 'c', 64 * P);
		g = fork();
		CHECK(g >= 0, "fork in the child");
		if (g == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		reap(g);
		_exit(0);
	}
	reap(pid);
	CHECK(all_bytes(q, 4 * P, 'a'), "the child's writes stay in the child");
	printf("%s: map, middle unmap, mremap, fork, exec: ok\n", who);
}

static void as_nobody(void)
{
	CHECK(setgroups(0, NULL) == 0, "setgroups");
	CHECK(setresgid(NOBODY, NOBODY, NOBODY) == 0, "setresgid");
	CHECK(setresuid(NOBODY, NOBODY, NOBODY) == 0, "setresuid");
	CHECK(getuid() == NOBODY && geteuid() == NOBODY);
	memory_work("as nobody");
}

static void without_proc(void)
{
	CHECK(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS)");
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private");
	CHECK(umount2("/proc", MNT_DETACH) == 0, "umount /proc");
	CHECK(access("/proc/self", F_OK) != 0, "/proc is gone");
	memory_work("without /proc");
}

/* fn in a child of its own, which must exit 0 (the parent keeps root and /proc). */
static void in_child(void (*fn)(void))
{
	pid_t pid = fork();

	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		fn();
		_exit(0);
	}
	reap(pid);
}

int main(void)
{
	if (geteuid() != 0)
		FAIL("drop_privs must run as root");
	setvbuf(stdout, NULL, _IOLBF, 0);
	in_child(as_nobody);
	in_child(without_proc);
	printf("drop_privs: all ok\n");
	return 0;
}
