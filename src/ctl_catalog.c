/* ctl_catalog.c - placeholder until the catalog command lands. */
#include "ctl.h"

int
ctl_catalog(int argc, char **argv, const struct ctl_opts *o)
{
	(void)argc; (void)argv; (void)o;
	return CTL_ERROR;
}
