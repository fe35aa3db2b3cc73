/* A container-like program: it unshares its pid and mount namespaces, and its first child
 * (pid 1 there) mounts a /proc of the new pid namespace. Then it arranges for a decoy process
 * in that namespace to get the same pid number as the program's parent (under starmm-run: the
 * supervisor), with /dev/zero open on descriptors 3 to 511, and maps memory, unmaps a middle
 * part, and forks a child that checks the content. Under starmm-run, the path
 * /proc/<supervisor>/fd/N now names the decoy's /dev/zero: memory handed over that way would
 * be /dev/zero's, not the model's VMO (--verify's backing check and the child's content
 * check would fail). Must run as root. */
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#include "progs.h"

static void decoy(void)
{
	int z = open("/dev/zero", O_RDWR);

	CHECK(z >= 0);
	for (int fd = 3; fd < 512; fd++)
		if (fd != z)
			dup2(z, fd);
	pause();
	_exit(0);
}

static void container_init(pid_t outer_parent)
{
	size_t P = page_size();
	char buf[32], *p;
	pid_t d, child;
	int f;

	CHECK(getpid() == 1, "pid 1 in the new namespace");
	CHECK(mount("proc", "/proc", "proc", 0, NULL) == 0, "mount a new /proc");
	/* the next pid is the outer parent's number */
	f = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
	CHECK(f >= 0, "ns_last_pid");
	snprintf(buf, sizeof(buf), "%d", outer_parent - 1);
	CHECK(write(f, buf, strlen(buf)) > 0, "write ns_last_pid");
	close(f);
	fflush(stdout);
	d = fork();
	CHECK(d >= 0, "fork the decoy");
	if (d == 0)
		decoy();
	CHECK(d == outer_parent, "the decoy has the outer parent's pid number");
	usleep(100 * 1000); /* its descriptors are in place */

	p = mmap(NULL, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap");
	memset(p, 'n', 8 * P);
	CHECK(munmap(p + 2 * P, 2 * P) == 0, "munmap of the middle");
	fflush(stdout);
	child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) {
		CHECK(all_bytes(p, 2 * P, 'n') && all_bytes(p + 4 * P, 4 * P, 'n'),
		      "the child sees the parent's memory");
		_exit(0);
	}
	reap(child);
	kill(d, SIGKILL);
	waitpid(d, NULL, 0);
	printf("proc_ns: a /proc of another pid namespace, a decoy: memory ok\n");
}

int main(void)
{
	pid_t outer_parent = getppid(), pid;

	if (geteuid() != 0)
		FAIL("proc_ns must run as root");
	setvbuf(stdout, NULL, _IOLBF, 0);
	CHECK(unshare(CLONE_NEWPID | CLONE_NEWNS) == 0, "unshare");
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private");
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		container_init(outer_parent);
		_exit(0);
	}
	reap(pid);
	return 0;
}
