/*
 * ctl.h - the commands of svcmapctl, one function each.
 *
 * svcmapctl.c parses the global options and dispatches through its
 * command table; each command parses its own options (getopt_long on the
 * remaining arguments) and returns an exit code: 0 ok, 1 error, 2 usage.
 */
#ifndef SVCMAP_CTL_H
#define SVCMAP_CTL_H

#include <stdbool.h>

/* Global options, before the command word. */
struct ctl_opts {
	const char	*db_path;	/* -d; NULL: from the config file */
	const char	*config_path;	/* -c */
	const char	*data_dir;	/* --data-dir */
	const char	*local_catalog;	/* from the config, "" none */
	bool		 json;		/* --json anywhere */
	bool		 quiet;		/* -q */
};

#define CTL_OK		0
#define CTL_ERROR	1
#define CTL_USAGE	2

/* catalog [--port N[/tcp|/udp]] [--service KEY] [--uuid UUID] [--interfaces] */
int	ctl_catalog(int argc, char **argv, const struct ctl_opts *o);
/* services [--host IP] [--service KEY] [--since TIME] */
int	ctl_services(int argc, char **argv, const struct ctl_opts *o);
/* hosts */
int	ctl_hosts(int argc, char **argv, const struct ctl_opts *o);
/* summary */
int	ctl_summary(int argc, char **argv, const struct ctl_opts *o);
/* endpoints */
int	ctl_endpoints(int argc, char **argv, const struct ctl_opts *o);
/* alerts [--since TIME] [--kind KIND] */
int	ctl_alerts(int argc, char **argv, const struct ctl_opts *o);

#endif /* SVCMAP_CTL_H */
