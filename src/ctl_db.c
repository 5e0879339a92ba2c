/* ctl_db.c - placeholder until the database commands land. */
#include "ctl.h"

int ctl_services(int argc, char **argv, const struct ctl_opts *o) { (void)argc; (void)argv; (void)o; return CTL_ERROR; }
int ctl_hosts(int argc, char **argv, const struct ctl_opts *o) { (void)argc; (void)argv; (void)o; return CTL_ERROR; }
int ctl_summary(int argc, char **argv, const struct ctl_opts *o) { (void)argc; (void)argv; (void)o; return CTL_ERROR; }
int ctl_endpoints(int argc, char **argv, const struct ctl_opts *o) { (void)argc; (void)argv; (void)o; return CTL_ERROR; }
