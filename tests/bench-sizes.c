/*
 * bench-sizes: the per-flow memory figures the benchmark reports, taken
 * from the modules themselves so the report cannot drift from the code.
 */

#include <stdio.h>

#include "svcmap/dcerpc.h"
#include "svcmap/dpi.h"
#include "svcmap/flow.h"

int
main(void)
{
	printf("flow_table_slot %zu\n", flow_table_slot_size());
	printf("dpi_flow %zu\n", dpi_flow_size());
	printf("dcerpc_flow %zu\n", dcerpc_flow_size());
	return 0;
}
