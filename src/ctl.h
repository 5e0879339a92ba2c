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
#include <stddef.h>
#include <stdint.h>

#include "svcmap/json.h"
#include "svcmap/query.h"
#include "svcmap/record.h"

/* Global options, before the command word. */
struct ctl_opts {
	const char	*db_path;	/* -d; NULL: from the config file */
	const char	*config_path;	/* -c */
	const char	*data_dir;	/* --data-dir */
	const char	*local_catalog;	/* from the config, "" none */
	const char	*sensor;	/* from the config: migrate's writer */
	const char	*api_listen;	/* from the config: status asks it */
	bool		 json;		/* --json anywhere */
	bool		 csv;		/* --csv anywhere */
	bool		 quiet;		/* -q */
};

#define CTL_OK		0
#define CTL_ERROR	1
#define CTL_USAGE	2
#define CTL_NOT_RUNNING	3	/* status: nothing listens at the API */

/* A command's records on standard output, in the format asked for. */
struct ctl_out {
	struct record_out out;
	struct json	 j;		/* --json: printed at the end */
};

/** Begin an output of the record kinds (text: the first kind's table). */
void	ctl_out_begin(struct ctl_out *c, const struct ctl_opts *o,
	    const struct record_table *const *kinds, size_t nkinds);
/**
 * Finish it after the query returned ret (0 or -1; -1 prints nothing
 * more).  @return: ret, or -1 when memory ran out or stdout failed.
 */
int	ctl_out_end(struct ctl_out *c, int ret);

/*
 * --limit N and --cursor C of the database commands (services, hosts,
 * endpoints, alerts): the API's keyset pages (query.h).  Without
 * --limit every row after the cursor (all of them without one) is
 * printed, as before; with it, at most N, and when rows remain the line
 * "next-cursor: C" goes to standard error for the next call.
 */
struct ctl_page {
	enum query_kind	 kind;
	uint64_t	 limit;		/* 0: every row */
	bool		 has_cursor;
	struct query_key after;
	struct query_page pg;		/* what the query gets */
	/* Counting the rows as they pass. */
	struct record_out *out;
	uint64_t	 n;
	bool		 more;
	struct query_key last;
};

#define CTL_PAGE_OPTIONS \
	{ "limit", required_argument, NULL, 'L' }, \
	{ "cursor", required_argument, NULL, 'C' }
#define CTL_PAGE_USAGE	"[--limit N] [--cursor C]"

void	ctl_page_init(struct ctl_page *p, enum query_kind kind);
/** Handle option ch ('L' or 'C'); -1 after a message on a bad value. */
int	ctl_page_opt(struct ctl_page *p, int ch, const char *arg);
/** The page the query gets (NULL: every row), rows to go to out. */
const struct query_page *ctl_page_query(struct ctl_page *p,
	    struct record_out *out);
/** After the query: print the next cursor if rows remain. */
void	ctl_page_end(struct ctl_page *p, int ret);
void	ctl_page_service(void *arg, const struct query_service *r);
void	ctl_page_host(void *arg, const struct query_host *r);
void	ctl_page_attempt(void *arg, const struct query_attempt *r);
void	ctl_page_endpoint(void *arg, const struct query_endpoint *r);
void	ctl_page_alert(void *arg, const struct alert_record *r);

/* catalog [--port N[/tcp|/udp]] [--service KEY] [--uuid UUID] [--interfaces] */
int	ctl_catalog(int argc, char **argv, const struct ctl_opts *o);
/* services [--host IP] [--service KEY] [--since TIME] */
int	ctl_services(int argc, char **argv, const struct ctl_opts *o);
/* attempts [--host IP|CIDR] [--since TIME] [--until TIME] */
int	ctl_attempts(int argc, char **argv, const struct ctl_opts *o);
/* hosts [--name PATTERN] */
int	ctl_hosts(int argc, char **argv, const struct ctl_opts *o);
/* host IP */
int	ctl_host(int argc, char **argv, const struct ctl_opts *o);
/* summary */
int	ctl_summary(int argc, char **argv, const struct ctl_opts *o);
/* outbound [--servers] [--host IP] [--port N] [--since T] [--until T] */
int	ctl_outbound(int argc, char **argv, const struct ctl_opts *o);
/* endpoints */
int	ctl_endpoints(int argc, char **argv, const struct ctl_opts *o);
/* operations [--host IP] [--service KEY] */
int	ctl_operations(int argc, char **argv, const struct ctl_opts *o);
/* migrate: bring the database to this build's schema version */
int	ctl_migrate(int argc, char **argv, const struct ctl_opts *o);
/* alerts [--since TIME] [--kind KIND] */
int	ctl_alerts(int argc, char **argv, const struct ctl_opts *o);

/* top [--of ...] [--by ...] [--limit N] [--host IP|CIDR] ... */
int	ctl_top(int argc, char **argv, const struct ctl_opts *o);
/* series --service KEY [--host IP|CIDR] [--resolution ...] ... */
int	ctl_series(int argc, char **argv, const struct ctl_opts *o);
/* status: ask the running daemon (exit 0 capturing, 1 degraded, 3 down) */
int	ctl_status(int argc, char **argv, const struct ctl_opts *o);
/* The API and the web map over a database file (ctl_serve.c). */
int	ctl_serve(int argc, char **argv, const struct ctl_opts *o);

/*
 * The time options of the database commands (ctl_query.c).
 */
struct reader;
struct query_time_ref;

/**
 * Refuse an option given twice: sets bit in *seen, or prints the usage
 * and returns -1 when it was set already (the caller exits 2).
 */
int	ctl_once(unsigned *seen, unsigned bit, const char *name,
	    const char *usage);
/** Check a --since/--until text; -1 (message printed) when bad. */
int	ctl_time_check(const char *text);
/**
 * Resolve the checked texts (NULL: none, 0) against the database's time
 * reference (query_time_reference()), which is stored in *ref.
 * @return: 0, or -1 with a message printed.
 */
int	ctl_times(struct reader *rd, const char *since_text,
	    const char *until_text, int64_t *since, int64_t *until,
	    struct query_time_ref *ref);
/** On stderr, what relative times counted back from, if one was used. */
void	ctl_time_note(const struct query_time_ref *ref,
	    const char *since_text, const char *until_text);

#endif /* SVCMAP_CTL_H */
