/* config.c - placeholder until the config module lands. */
#include <string.h>
#include "svcmap/config.h"

void config_defaults(struct config *cfg) { memset(cfg, 0, sizeof(*cfg)); }
int config_load(struct config *cfg, const char *path, char *err, size_t errlen) { (void)cfg; (void)path; (void)err; (void)errlen; return -1; }
