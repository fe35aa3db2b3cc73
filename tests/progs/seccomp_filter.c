/* seccomp_filter mmap|getppid|openat: installs its own seccomp filter, a hand-written classic
 * BPF program that makes the named call fail with EPERM (openat: kills the process) and allows
 * everything else, then checks that the call fails with EPERM while the memory calls it did
 * not deny still work (openat: a middle munmap and a fork whose child maps memory too).
 * Natively it prints one line and exits 0. A supervisor that runs mmap inside the program for
 * it cannot honour a filter denying mmap and must refuse the program; a filter denying getppid
 * must not disturb it, nor one killing on openat, which the supervisor's own way of handing
 * memory to the program would use. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "progs.h"

/* Given to stdout before the filter is in place, so printing needs no new memory. */
static char outbuf[BUFSIZ];

int main(int argc, char **argv)
{
	int deny_mmap = argc > 1 && argv[1][0] == 'm', kill_openat = argc > 1 && argv[1][0] == 'o';
	int denied = deny_mmap ? __NR_mmap : kill_openat ? __NR_openat : __NR_getppid;
	unsigned denied_action = kill_openat ? SECCOMP_RET_KILL_PROCESS
					     : SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
	struct sock_filter code[] = {
		/* Other architectures (i386 calls through int 0x80) are not our business. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, denied_action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
	long page = sysconf(_SC_PAGESIZE);
	void *p;
	char *brk0;

	CHECK(setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf) == 0, "setvbuf");
	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS");
	CHECK(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0, "PR_SET_SECCOMP");

	errno = 0;
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (deny_mmap) {
		CHECK(p == MAP_FAILED, "mmap was not denied");
		CHECK(errno == EPERM, "mmap failed with EPERM");
	} else if (kill_openat) {
		pid_t child;
		char *q;

		CHECK(p != MAP_FAILED, "mmap");
		q = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			 0);
		CHECK(q != MAP_FAILED, "mmap of 8 pages");
		memset(q, 'k', 8 * page);
		CHECK(munmap(q + 2 * page, 2 * page) == 0, "munmap of the middle");
		CHECK(all_bytes(q, 2 * page, 'k') && all_bytes(q + 4 * page, 4 * page, 'k'));
		fflush(stdout);
		child = fork();
		CHECK(child >= 0, "fork");
		if (child == 0) {
			char *c = mmap(NULL, page, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			CHECK(c != MAP_FAILED && all_bytes(q + 4 * page, 4 * page, 'k'));
			_exit(0);
		}
		reap(child);
	} else {
		CHECK(p != MAP_FAILED && munmap(p, page) == 0, "mmap and munmap");
		CHECK(syscall(SYS_getppid) == -1 && errno == EPERM, "getppid failed with EPERM");
	}
	/* Only mmap is filtered: the break still moves. */
	brk0 = sbrk(0);
	CHECK(brk0 != (void *)-1 && sbrk(page) == brk0, "sbrk grow");
	brk0[page - 1] = 1;
	CHECK(sbrk(-page) != (void *)-1, "sbrk shrink");
	printf("seccomp_filter: %s\n", deny_mmap	  ? "mmap EPERM"
					: kill_openat ? "openat would kill, memory still maps"
						      : "getppid EPERM");
	return 0;
}
