/* Exits with status 3 after a line on stdout. */
#include <stdio.h>

int main(void)
{
	puts("exit3: leaving with 3");
	return 3;
}
