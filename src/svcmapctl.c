/*
 * svcmapctl - query what svcmapd observed, and the service catalog.
 *
 * Reads the SQLite database read-only (safe while the daemon writes) and
 * the shipped catalog.  Commands come from a table and may be abbreviated
 * to any unique prefix (relayctl style).  Exit codes: 0 ok, 1 error,
 * 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svcmap/config.h"
#include "svcmap/log.h"
#include "ctl.h"
#include "datadir.h"

struct ctl_command {
	const char	*name;
	int		(*fn)(int, char **, const struct ctl_opts *);
	bool		 needs_db;
	const char	*args;
	const char	*help;
};

static const struct ctl_command commands[] = {
	{ "catalog", ctl_catalog, false,
	    "[--port N[/tcp|/udp]] [--service KEY] [--uuid UUID] [--interfaces]",
	    "documented services, ports and RPC interfaces" },
	{ "services", ctl_services, true,
	    "[--host IP] [--service KEY] [--since TIME] [--until TIME] [--all]",
	    "observed services per server, port and method" },
	{ "top", ctl_top, true,
	    "[--of rows|hosts|services] [--by bytes|packets|flows|clients]\n"
	    "             [--limit N] [--host IP|CIDR] [--service KEY] "
	    "[--port N]\n             [--since TIME] [--until TIME] [--all]",
	    "the busiest (server, service, port) rows, servers or services" },
	{ "series", ctl_series, true,
	    "--service KEY [--host IP|CIDR] [--port N]\n"
	    "             [--resolution minute|hour|day] [--since TIME] "
	    "[--until TIME]",
	    "flows, packets, bytes and clients per time bucket" },
	{ "attempts", ctl_attempts, true,
	    "[--host IP|CIDR] [--since TIME] [--until TIME]",
	    "ports clients tried that nobody served: refused, unanswered" },
	{ "hosts", ctl_hosts, true, "[--name PATTERN] [--role KEY]",
	    "servers seen, their names, roles and the services they serve" },
	{ "host", ctl_host, true, "IP",
	    "one address: its names, roles with evidence, services, "
	    "operations" },
	{ "summary", ctl_summary, true, "",
	    "run totals, capture drops and the packet partition" },
	{ "outbound", ctl_outbound, true,
	    "[--servers] [--host IP] [--port N] [--since TIME] [--until TIME]",
	    "monitored clients' use of servers outside the monitored networks" },
	{ "endpoints", ctl_endpoints, true, "",
	    "RPC endpoints learned from EPM and DCOM replies" },
	{ "operations", ctl_operations, true, "[--host IP] [--service KEY]",
	    "RPC operations called per server and interface" },
	{ "alerts", ctl_alerts, true,
	    "[--since TIME] [--until TIME] [--kind KIND]",
	    "undocumented services, protocol mismatches, new services" },
	{ "migrate", ctl_migrate, true, "",
	    "bring the database to this svcmap's schema (svcmapd does too)" },
	{ "serve", ctl_serve, true,
	    "[-d DB] [--listen IPv4:PORT|[IPv6]:PORT]",
	    "the API and the web map over the database, read-only "
	    "(127.0.0.1:8136)" },
	{ "status", ctl_status, false, "",
	    "ask the running svcmapd (its API): 0 capturing, 1 degraded, "
	    "3 not running" },
	{ NULL, NULL, false, NULL, NULL }
};

static void
usage(FILE *out)
{
	const struct ctl_command *c;

	fprintf(out,
	    "usage: svcmapctl [-q] [-c config] [-d database] [--data-dir dir] "
	    "command [options] [--json|--csv]\n\ncommands:\n");
	for (c = commands; c->name != NULL; c++)
		fprintf(out, "  %-10s %s\n  %-10s   %s\n", c->name, c->args, "",
		    c->help);
	fprintf(out,
	    "\noptions:\n"
	    "  -c FILE        svcmapd configuration to read the database "
	    "path from\n"
	    "                 (default " SVCMAP_SYSCONFDIR "/svcmapd.conf)\n"
	    "  -d FILE        the database (overrides the configuration)\n"
	    "  --data-dir DIR shipped catalog data directory\n"
	    "  --json         JSON output for scripts\n"
	    "  --csv          CSV output (RFC 4180, a header row of the JSON "
	    "names)\n"
	    "  -q             quiet: no table or CSV header\n"
	    "  -h, --help     this text (after a command: its usage)\n"
	    "  --version      the version\n"
	    "\nTIME: 2024-01-15T09:00:00Z, 2024-01-15, epoch seconds, or "
	    "-30m/-1h/-7d back\nfrom the newest packet (capture-file runs) or "
	    "the wall clock (live).\n"
	    "\nexit status: 0 ok, 1 error, 2 usage, 3 (status) not running.  "
	    "See svcmapctl(8).\n");
}

/* A unique prefix of a command name selects it (relayctl's matcher). */
static const struct ctl_command *
find_command(const char *word)
{
	const struct ctl_command *c, *match = NULL;
	size_t len = strlen(word);
	int n = 0;

	for (c = commands; c->name != NULL; c++) {
		if (strcmp(c->name, word) == 0)
			return c;
		if (strncmp(c->name, word, len) == 0) {
			match = c;
			n++;
		}
	}
	if (n == 1)
		return match;
	fprintf(stderr, "svcmapctl: %s command \"%s\"; valid commands:",
	    n > 1 ? "ambiguous" : "unknown", word);
	for (c = commands; c->name != NULL; c++)
		fprintf(stderr, " %s", c->name);
	fprintf(stderr, "\n");
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static struct config cfg;
	struct ctl_opts o;
	const struct ctl_command *cmd;
	char err[512];
	int ch, i, j;

	log_init("svcmapctl", false, 0);
	memset(&o, 0, sizeof(o));

	/* --json and --csv may follow the command; take them out. */
	for (i = 1, j = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			o.json = true;
		else if (strcmp(argv[i], "--csv") == 0)
			o.csv = true;
		else
			argv[j++] = argv[i];
	}
	argc = j;
	argv[argc] = NULL;

	/* "+": stop at the command word; the command parses the rest. */
	while ((ch = getopt_long(argc, argv, "+c:d:hq", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'd':
			o.db_path = optarg;
			break;
		case 'D':
			o.data_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		case 'j':
			o.json = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'V':
			printf("svcmapctl %s\n", PACKAGE_VERSION);
			return CTL_OK;
		default:
			usage(stderr);
			return CTL_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || (o.json && o.csv)) {
		if (o.json && o.csv)
			log_warnx("--json and --csv do not combine");
		usage(stderr);
		return CTL_USAGE;
	}
	if ((cmd = find_command(argv[0])) == NULL)
		return CTL_USAGE;
	/* "CMD --help" anywhere among the command's words: its usage. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			printf("usage: svcmapctl %s %s%s[--json|--csv]\n  %s\n",
			    cmd->name, cmd->args, cmd->args[0] ? " " : "",
			    cmd->help);
			return CTL_OK;
		}
	}

	/*
	 * The configuration supplies the database path, the data directory
	 * and the local catalog unless the command line names them.  A
	 * missing default file is fine; a named one must load.
	 */
	config_defaults(&cfg);
	if (o.config_path != NULL || access(SVCMAP_SYSCONFDIR "/svcmapd.conf",
	    R_OK) == 0) {
		const char *path = o.config_path ? o.config_path :
		    SVCMAP_SYSCONFDIR "/svcmapd.conf";

		if (config_load(&cfg, path, err, sizeof(err)) == -1)
			return CTL_ERROR;
	}
	if (o.db_path == NULL)
		o.db_path = cfg.db_path;
	if (o.data_dir == NULL && cfg.data_dir[0] != '\0')
		o.data_dir = cfg.data_dir;
	o.data_dir = datadir_resolve(o.data_dir);
	o.local_catalog = cfg.local_catalog;
	o.sensor = cfg.sensor;
	o.api_listen = cfg.api_listen;

	optind = 0;	/* glibc: re-initialise getopt for the command */
	return cmd->fn(argc, argv, &o);
}
