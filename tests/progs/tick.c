/* One process (no child: a vfork child stopped before its exec would hold its parent, and the
 * job, in a state no shell reports) that prints "ready", sleeps 0.5 s, prints "finished". */
#include <stdio.h>
#include <time.h>

int main(void)
{
	puts("tick: ready");
	fflush(stdout);
	nanosleep(&(struct timespec){ 0, 500 * 1000 * 1000 }, NULL);
	puts("tick: finished");
	return 0;
}
