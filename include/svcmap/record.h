/*
 * record.h - one field table per query record, one renderer per format.
 *
 * A record is what a query hands out (struct query_service, query_host,
 * query_endpoint, alert_record, a catalog port or interface row).  Its
 * field table lists, in JSON order, each field's JSON key (also its CSV
 * column and its name in name=value output), its type, how to read it
 * (offsetof the member, or a small function for computed fields) and
 * where the people's table shows it.  The renderers walk the table:
 *
 *   text   the aligned table for people (svcmapctl without options)
 *   JSON   one object per record, keys in table order (svcmapctl --json,
 *          the API): the keys and their order are a contract
 *   CSV    RFC 4180 quoting, a header row of the keys (svcmapctl --csv,
 *          API format=csv)
 *   kv     name=value lines, one block per record
 *
 * Adding a field to a record is one row here plus the member it reads.
 *
 * Values, in every format but JSON: times are ISO 8601 UTC
 * ("2024-01-15T09:00:00Z") as in JSON, null is "-" in the text table and
 * an empty cell in CSV (an empty string there is ""), booleans are true
 * and false, an array's elements are joined with a space (CSV, kv) or a
 * comma (text table).
 */
#ifndef SVCMAP_RECORD_H
#define SVCMAP_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json;

enum record_type {
	RECORD_STRING,	/* const char *; NULL: null */
	RECORD_CHARS,	/* char[]; "" is null when RECORD_NULLABLE */
	RECORD_UINT,	/* unsigned integer of `size` bytes */
	RECORD_INT,	/* int64_t */
	RECORD_TIME,	/* int64_t UTC seconds; 0 is null ("never") */
	RECORD_BOOL,	/* bool */
	RECORD_LIST,	/* array of strings (get() only) */
	RECORD_OBJECTS	/* array of records of another table (get() only) */
};

/* struct record_field.flags */
#define RECORD_NULLABLE	0x01	/* may be null: 0 or "" reads as null */
#define RECORD_OMIT	0x02	/* JSON leaves the key out when null */
#define RECORD_RIGHT	0x04	/* text table: right-aligned (numbers) */

/* A field's value as the renderers see it. */
struct record_value {
	enum record_type type;
	bool		 null;
	const char	*s;		/* STRING, CHARS */
	uint64_t	 u;		/* UINT */
	int64_t		 i;		/* INT, TIME */
	bool		 b;		/* BOOL */
	const char *const *list;	/* LIST */
	size_t		 n;		/* LIST, OBJECTS: elements */
	/*
	 * OBJECTS: n records of table sub, stride bytes apart from items.
	 * JSON writes each as an object; the other formats write each
	 * one's first field, joined as a list's elements.
	 */
	const struct record_table *sub;
	const void	*items;
	size_t		 stride;
	char		 buf[64];	/* text a get() formats (s points here) */
};

struct record_field {
	const char	*key;	/* JSON key, CSV column; NULL: text table only */
	enum record_type type;
	unsigned	 flags;
	size_t		 off;	/* the member, when get is NULL */
	size_t		 size;	/* its size (UINT: 1, 2, 4 or 8) */
	/* A computed field: fill v (v->type is set, v->null false). */
	void		(*get)(const void *rec, struct record_value *v);
	unsigned	 col;	/* text table column, 1...; 0: not shown */
	const char	*head;	/* text table header */
};

/* Accessor of a member: its offset and size. */
#define RECORD_MEMBER(type, m)	offsetof(type, m), sizeof(((type *)0)->m)

struct record_table {
	const char	*name;		/* "services", "alerts", ... */
	const struct record_field *fields;
	size_t		 nfields;
};

/* Most fields of a record, and most columns of a CSV layout. */
#define RECORD_MAX_FIELDS	32

extern const struct record_table record_services;	/* query_service */
extern const struct record_table record_hosts;		/* query_host */
extern const struct record_table record_names;		/* query_name */
extern const struct record_table record_roles;		/* query_role */
extern const struct record_table record_role_evidence; /* query_role_evidence */
extern const struct record_table record_endpoints;	/* query_endpoint */
extern const struct record_table record_operations;	/* query_operation */
extern const struct record_table record_outbound;	/* query_outbound */
extern const struct record_table record_outbound_servers; /* query_outbound */
extern const struct record_table record_attempts;	/* query_attempt */
extern const struct record_table record_alerts;	/* alert_record */
extern const struct record_table record_top;		/* query_top */
extern const struct record_table record_series;	/* query_bucket */
extern const struct record_table record_catalog_ports;	/* catalog.h */
extern const struct record_table record_catalog_ifaces;

/** Read field f of rec into v; strings stay owned by rec (or by v). */
void	record_get(const struct record_field *f, const void *rec,
	    struct record_value *v);

/** The fields of rec as JSON members of the object the caller opened. */
void	record_json_fields(struct json *j, const struct record_table *t,
	    const void *rec);
/** rec as one JSON object. */
void	record_json(struct json *j, const struct record_table *t,
	    const void *rec);

enum record_format {
	RECORD_TEXT = 0,	/* aligned table for people */
	RECORD_JSON,
	RECORD_CSV,
	RECORD_KV		/* name=value */
};

/*
 * One output of rows, possibly of several record kinds (the catalog's
 * port and interface rows): JSON writes one array of objects into j;
 * CSV writes one table whose columns are the union of the kinds' keys
 * (first-seen order; a row leaves the others' cells empty); kv writes a
 * block of lines per record, blocks separated by an empty line; text
 * collects the rows of the first kind and prints them aligned at the
 * end.  Text other than JSON goes to f.
 */
struct record_out {
	enum record_format fmt;
	const struct record_table *table;	/* the first kind */
	struct json	*j;
	FILE		*f;
	bool		 header;	/* CSV header row, text header line */
	size_t		 nrows;
	bool		 failed;	/* out of memory or a write error */
	const char	*cols[RECORD_MAX_FIELDS];	/* CSV */
	size_t		 ncols;
	char		**cells;	/* text: rows x columns */
	size_t		 ncells;
	size_t		 cap;
	const struct record_field *tcols[RECORD_MAX_FIELDS];
	size_t		 ntcols;
};

/**
 * Start an output of the kinds tables[0..ntables).
 * @param j: the JSON document (RECORD_JSON), its array opened here.
 * @param f: where the other formats write (RECORD_JSON: unused).
 * @param header: CSV header row, text header line (svcmapctl -q: false).
 */
void	record_out_begin(struct record_out *o, enum record_format fmt,
	    const struct record_table *const *tables, size_t ntables,
	    struct json *j, FILE *f, bool header);
/** One record of kind t (one of the kinds given to begin). */
void	record_out_row(struct record_out *o, const struct record_table *t,
	    const void *rec);
/**
 * Finish: close the JSON array, print the text table, free.
 * @return: 0, or -1 if memory ran out or a write failed (the output is
 *   then incomplete).
 */
int	record_out_end(struct record_out *o);

/** Text as one CSV cell (RFC 4180 quoting); -1 on a write error. */
int	record_csv_text(FILE *f, const char *s);

/* Row callbacks of the query functions; arg is a struct record_out. */
struct query_service;
struct query_host;
struct query_endpoint;
struct query_operation;
struct query_outbound;
struct query_attempt;
struct alert_record;
void	record_service_row(void *arg, const struct query_service *r);
void	record_host_row(void *arg, const struct query_host *r);
void	record_endpoint_row(void *arg, const struct query_endpoint *r);
void	record_operation_row(void *arg, const struct query_operation *r);
void	record_outbound_row(void *arg, const struct query_outbound *r);
void	record_outbound_server_row(void *arg, const struct query_outbound *r);
void	record_attempt_row(void *arg, const struct query_attempt *r);
void	record_alert_row(void *arg, const struct alert_record *r);
struct query_top;
struct query_bucket;
void	record_top_row(void *arg, const struct query_top *r);
void	record_bucket_row(void *arg, const struct query_bucket *r);

/*
 * A whole query as one JSON array of objects (what svcmapctl --json and
 * the API print): 0, or -1 with err set.
 */
struct catalog;
struct query_filter;
struct reader;
int	query_services_json(struct reader *s, const struct catalog *cat,
	    const struct query_filter *f, struct json *j, char *err,
	    size_t errlen);
/* Hosts with their roles when cat is given (query_hosts_where()). */
int	query_hosts_json(struct reader *s, const struct catalog *cat,
	    struct json *j, char *err, size_t errlen);
int	query_endpoints_json(struct reader *s, const struct catalog *cat,
	    struct json *j, char *err, size_t errlen);
/**
 * One address as a JSON object: "hosts", its host record per sensor that
 * knows it (query_host_one(): names, and for a server its services and
 * counts, names and roles), "services", the service rows it serves
 * (undocumented ones too), and "operations", the RPC operations called
 * on it.  *found: whether any sensor knows it.
 */
int	query_host_json(struct reader *s, const struct catalog *cat,
	    const char *ip, struct json *j, bool *found, char *err,
	    size_t errlen);
struct query_op_filter;
int	query_operations_json(struct reader *s, const struct catalog *cat,
	    const struct query_op_filter *f, struct json *j, char *err,
	    size_t errlen);

#endif /* SVCMAP_RECORD_H */
