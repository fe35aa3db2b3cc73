/* System V shared memory: shmat at an address the kernel picks and at one we pick (rounded
 * with SHM_RND), writes seen through both attachments and by a forked child, shmdt leaving a
 * hole, shmat over an existing mapping refused without SHM_REMAP (EINVAL) and accepted with
 * it. starmm-run lets these calls run and takes what they changed from /proc/PID/smaps. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include "progs.h"

#define SIZE (4 * 4096)

int main(void)
{
	int id = shmget(IPC_PRIVATE, SIZE, IPC_CREAT | 0600);
	char *a, *b, *spot, *anon;
	pid_t pid;

	CHECK(id >= 0);
	a = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL); /* goes when the last attachment does */
	CHECK(a != (void *)-1);
	/* A second attachment at an address we choose: a free range, unaligned for SHM_RND. */
	spot = free_range(2 * SIZE);
	b = shmat(id, spot + 100, SHM_RND);
	CHECK(b == spot);
	strcpy(a, "written through a");
	CHECK(strcmp(b, "written through a") == 0);
	printf("shm_attach: two attachments share their pages\n");
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		strcpy(b + 4096, "from the child");
		_exit(strcmp(a, "written through a") != 0);
	}
	reap(pid);
	CHECK(strcmp(a + 4096, "from the child") == 0);
	printf("shm_attach: a forked child shares them too\n");
	CHECK(shmdt(b) == 0);
	CHECK(!mapped(b, 4096) && !mapped(b + SIZE - 4096, 4096));
	CHECK(shmdt(b) == -1 && errno == EINVAL);
	/* Over an existing mapping: EINVAL, then replaced with SHM_REMAP. */
	anon = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(anon != MAP_FAILED);
	CHECK(shmat(id, anon, 0) == (void *)-1 && errno == EINVAL);
	CHECK(shmat(id, anon, SHM_REMAP) == anon);
	CHECK(strcmp(anon, "written through a") == 0);
	CHECK(shmdt(anon) == 0 && !mapped(anon, 4096));
	CHECK(shmdt(a) == 0 && !mapped(a, 4096));
	printf("shm_attach: detached, remapped over a mapping, detached again\n");
	return 0;
}
