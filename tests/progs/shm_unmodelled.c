/*
 * Attaches a SysV shared memory segment: shmat is passed through, not modelled yet, so the
 * model does not know the mapping and --verify must report the difference (the test of the
 * verifier itself). Natively it just exits 0.
 */
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(void)
{
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	void *p;

	if (id < 0)
		return 1;
	p = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	return p == (void *)-1;
}
