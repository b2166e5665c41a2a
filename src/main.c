/* sotto: start-up placeholder, replaced by the wiring once the layers land. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "sotto: not wired yet\n");
	return 1;
}
