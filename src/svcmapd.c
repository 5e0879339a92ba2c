/* svcmapd - placeholder main while the pipeline lands. */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "svcmapd: not built yet\n");
	return 1;
}
