/*
 * names.h - host names learned passively from traffic, and the bounded
 * table that keeps them.
 *
 * Parsers (src/names_*.c) read one message each and emit facts through a
 * callback: (address, name, source, kind).  They allocate nothing, keep no
 * state between calls and read every byte through struct rd, so one call
 * per datagram (or per TCP payload, or per buffer an SMB/DCE-RPC/HTTP
 * analyzer hands over) is the whole contract.  Counters are the caller's
 * (one struct names_stats per worker, summed by the reader).
 *
 * Name policy (names_policy.c; the only text a fact or the table holds):
 *  - DNS-style names (DNS, LLMNR, mDNS, PTR targets, DHCP, CLDAP DNS
 *    fields, NTLM DNS fields, Kerberos realm and SPN hosts): labels of
 *    1..63 bytes, at most NAMES_NAME_MAX (253) characters in text form;
 *    label bytes are ASCII letters, digits, '-' and '_', or well-formed
 *    UTF-8 (shortest form, no surrogates, <= U+10FFFF) that is neither a
 *    C0/C1 control nor a bidirectional/format control (U+200B..U+200F,
 *    U+2028..U+202E, U+2060..U+206F, U+FEFF).  ASCII is folded to lower
 *    case (DNS compares names case-insensitively; one spelling per name).
 *  - NetBIOS names: 1..15 bytes, trailing spaces trimmed, ASCII letters,
 *    digits and - _ . ! # $ % & ' ( ) @ ^ { } ~ only (the OEM code page
 *    is unknown on the wire, so bytes >= 0x80 are refused rather than
 *    guessed), folded to upper case; the 16th byte (suffix) is kept.
 *  - Anything else is refused and counted per reason (names_reject);
 *    nothing outside the policy is escaped and kept, so every stored name
 *    can go into JSON, syslog or a metric label as it is (no '"', '\\',
 *    control characters or invalid UTF-8 can appear).
 *
 * Sources and what a fact is bound to:
 *  - dns / llmnr / mdns: A/AAAA records of responses (standard queries,
 *    and dynamic updates that succeeded: Windows servers echo the
 *    update), any section: (record address, owner name).  dns-ptr: PTR records whose owner is a
 *    full in-addr.arpa / ip6.arpa name: (address, target).
 *  - nbns: registrations/refreshes (request RR) and positive query
 *    responses: (NB address of the RR, name<suffix>); node status
 *    responses: (responder, each name<suffix>).
 *  - dhcp: option 12 host name / option 81 FQDN of REQUEST (bound to
 *    option 50 or ciaddr), ACK (yiaddr) and INFORM (ciaddr), with chaddr.
 *  - kerberos: the realm of a KDC's answer (AS-REP/TGS-REP ticket realm,
 *    KRB-ERROR realm except WRONG_REALM) is bound to the KDC that sent it
 *    (kind REALM); a request's realm is only what a client believes and
 *    binds nothing.  The host part of a requested service principal
 *    (host/NAME, cifs/NAME, ...) is a name the *client asked a ticket
 *    for*, not a name of either end of the flow, so it is emitted with
 *    has_addr false (kind SPN): a candidate a DNS answer can confirm,
 *    never an address's name by itself (names_learn() refuses it).
 *  - cldap: netlogon ping responses (LDAP searchResEntry, attribute
 *    Netlogon, NETLOGON_SAM_LOGON_RESPONSE_EX), bound to the responder:
 *    DnsHostName, NetbiosComputerName, DnsDomainName, DnsForestName,
 *    NetbiosDomainName, DcSiteName.  UserName and ClientSiteName describe
 *    the asking client and are not kept.
 *  - ntlm: CHALLENGE (type 2) target info AV pairs, bound to the sender
 *    of the challenge.  Caveat: an NTLM relay forwards another server's
 *    challenge, so on a relayed session these are the relayed target's
 *    names; the source is kept so that a reader can weigh it.
 *
 * Display name, best first (names_display): dns forward answer > ntlm DNS
 * computer name > cldap DnsHostName > dhcp (FQDN or host name) > NetBIOS
 * computer name (nbns <00>/<20>, ntlm, cldap) > llmnr/mdns > dns-ptr.
 * Within a rank the name seen last wins, then the smaller name.  Domain,
 * realm, forest, site and SPN kinds never become a display name.
 *
 * Thread-safety: parsers are reentrant (no globals); the table is shared
 * across classifier workers and readers behind a rwlock, like the
 * learned-endpoint table.
 */
#ifndef SVCMAP_NAMES_H
#define SVCMAP_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/addr.h"

/** Longest name in text form, without the NUL (RFC 1035's 255 wire bytes). */
#define NAMES_NAME_MAX	253
/** NetBIOS names: 15 bytes plus the suffix byte on the wire. */
#define NAMES_NB_MAX	15

enum name_source {
	NAME_SRC_DNS = 0,	/* forward answer (A/AAAA) */
	NAME_SRC_DNS_PTR,	/* reverse answer (PTR) */
	NAME_SRC_NBNS,
	NAME_SRC_LLMNR,
	NAME_SRC_MDNS,
	NAME_SRC_DHCP,
	NAME_SRC_KERBEROS,
	NAME_SRC_CLDAP,
	NAME_SRC_NTLM,
	NAME_SRC__COUNT
};

enum name_kind {
	NAME_KIND_HOST = 0,	/* DNS-style host name (FQDN or one label) */
	NAME_KIND_NETBIOS,	/* NetBIOS computer name (suffix in nb_suffix) */
	NAME_KIND_DOMAIN,	/* DNS domain the host is in (serves) */
	NAME_KIND_NB_DOMAIN,	/* NetBIOS domain/workgroup (suffix kept) */
	NAME_KIND_FOREST,	/* AD forest / DNS tree name */
	NAME_KIND_REALM,	/* Kerberos realm the KDC was asked about */
	NAME_KIND_SITE,		/* AD site of a DC */
	NAME_KIND_SPN,		/* host part of an asked-for SPN: unbound */
	NAME_KIND__COUNT
};

/* Why a name was refused (names_stats.rejected[]). */
enum names_reject {
	NAME_REJ_TOO_LONG = 0,	/* > 253 characters, label > 63, NetBIOS > 15 */
	NAME_REJ_BAD_UTF8,	/* ill-formed UTF-8 / UTF-16 */
	NAME_REJ_CONTROL,	/* NUL, C0/C1 control, DEL, bidi/format char */
	NAME_REJ_BAD_CHAR,	/* any other byte outside the policy */
	NAME_REJ_POINTER,	/* DNS compression loop or forward pointer */
	NAME_REJ_EMPTY,		/* empty name or label */
	NAME_REJ__COUNT
};

/** One learned fact.  Text is policy-clean and NUL-terminated. */
struct name_fact {
	struct addr	 addr;		/* the address named (if has_addr) */
	bool		 has_addr;	/* false: not bound (kind SPN) */
	bool		 has_mac;
	uint8_t		 mac[6];	/* DHCP client hardware address */
	uint8_t		 source;	/* enum name_source */
	uint8_t		 kind;		/* enum name_kind */
	uint8_t		 nb_suffix;	/* NetBIOS 16th byte, else 0 */
	bool		 nb_group;	/* NetBIOS group name */
	uint32_t	 ttl;		/* DNS TTL in seconds, 0 when none */
	char		 name[NAMES_NAME_MAX + 1];
};

typedef void (*names_emit_fn)(void *arg, const struct name_fact *f);

/** Where facts go; fn is called once per fact, synchronously. */
struct names_sink {
	names_emit_fn	 fn;
	void		*arg;
};

/** Per-worker counters; indexes are enum name_source / names_reject. */
struct names_stats {
	uint64_t	 messages[NAME_SRC__COUNT];	/* parsed whole */
	uint64_t	 truncated[NAME_SRC__COUNT];	/* bytes ran out */
	uint64_t	 invalid[NAME_SRC__COUNT];	/* a field lies */
	uint64_t	 facts[NAME_SRC__COUNT];	/* facts emitted */
	uint64_t	 rejected[NAME_REJ__COUNT];	/* names refused */
};

/** What a parser may need to know of the packet that carried a message. */
struct names_pkt {
	const struct addr *src;		/* sender of the message */
	const struct addr *dst;
	uint16_t	 sport;
	uint16_t	 dport;
	bool		 tcp;		/* DNS/Kerberos/LDAP: length-framed */
};

/* "dns", "dns-ptr", "nbns", ... (stable: used in JSON and the database). */
const char *names_source_name(enum name_source s);
/* "host", "netbios", "domain", "nb-domain", "forest", "realm", "site", "spn". */
const char *names_kind_name(enum name_kind k);
/* "too_long", "bad_utf8", "control", "bad_char", "pointer", "empty". */
const char *names_reject_name(enum names_reject r);
/** Reverse of names_source_name(); -1 for an unknown word. */
int	names_source_parse(const char *word);

/*
 * The parsers.  Each takes one message (payload of one datagram, or of a
 * TCP segment that starts a length-framed message) and returns the number
 * of facts emitted, or -1 when the message was truncated or invalid
 * (counted in st).  Facts found before an error are still emitted only
 * when they came from a complete record.  None of them keeps p.
 */

/**
 * DNS, LLMNR or mDNS response (source NAME_SRC_DNS, _LLMNR or _MDNS; PTR
 * facts of any of them are tagged NAME_SRC_DNS_PTR only for DNS, and keep
 * the protocol's source for LLMNR/mDNS).  Queries yield nothing.  Over
 * TCP (pkt->tcp) the payload holds 2-byte-length-framed messages; only
 * whole ones are read.
 */
int	names_dns(const uint8_t *p, size_t len, enum name_source proto,
	    const struct names_pkt *pkt, const struct names_sink *s,
	    struct names_stats *st);

/** NetBIOS name service datagram (UDP 137). */
int	names_nbns(const uint8_t *p, size_t len, const struct names_pkt *pkt,
	    const struct names_sink *s, struct names_stats *st);

/** DHCPv4 / BOOTP message (UDP 67/68). */
int	names_dhcp(const uint8_t *p, size_t len, const struct names_pkt *pkt,
	    const struct names_sink *s, struct names_stats *st);

/**
 * Kerberos message on port 88 (AS-REQ/TGS-REQ: unbound SPN candidates;
 * AS-REP/TGS-REP/KRB-ERROR: the realm of the sending KDC); over TCP a
 * 4-byte record mark precedes it, and a segment that does not start a
 * record yields nothing.
 */
int	names_kerberos(const uint8_t *p, size_t len,
	    const struct names_pkt *pkt, const struct names_sink *s,
	    struct names_stats *st);

/**
 * LDAP message(s) from port 389 (CLDAP over UDP, or LDAP over TCP whose
 * segment starts a message): searchResEntry with a Netlogon attribute.
 */
int	names_cldap(const uint8_t *p, size_t len, const struct names_pkt *pkt,
	    const struct names_sink *s, struct names_stats *st);

/**
 * One NTLMSSP message starting at p ("NTLMSSP\0"); only a CHALLENGE
 * (type 2) yields facts, bound to pkt->src.  Returns 0 for other types.
 */
int	names_ntlm(const uint8_t *p, size_t len, const struct names_pkt *pkt,
	    const struct names_sink *s, struct names_stats *st);

/**
 * Find NTLMSSP CHALLENGE messages anywhere in buf (an SMB session setup
 * response, a DCE/RPC auth verifier, a SPNEGO token) and parse each; at
 * most 4 per buffer.  For HTTP (a response carrying "WWW-Authenticate:
 * NTLM|Negotiate <base64>") the token is decoded first, up to 4 KiB.
 * Returns the facts emitted (0 when none), never -1.
 */
int	names_ntlm_scan(const uint8_t *buf, size_t len,
	    const struct names_pkt *pkt, const struct names_sink *s,
	    struct names_stats *st);

/* names_packet() flags */
#define NAMES_NTLM_ANY_TCP	0x01	/* scan every TCP payload for NTLM */

/**
 * Dispatch by port: UDP 53/5353/5355/137/67/68/88/389 and TCP 53/88/389
 * to the parsers above; TCP 445/139/135/593/80/5985/8080 (any TCP with
 * NAMES_NTLM_ANY_TCP) to names_ntlm_scan.  The packet's payload is read
 * as it is (no reassembly).  Returns the facts emitted.
 */
struct packet;
int	names_packet(const struct packet *pkt, unsigned flags,
	    const struct names_sink *s, struct names_stats *st);

/* ---- policy helpers, shared by the parsers (and tests) ---- */

/**
 * Check one DNS label of n bytes and append it (ASCII folded to lower
 * case) to out at *olen, with a '.' before it when *olen > 0.
 * @return: NAMES_OK (-1) or the enum names_reject reason.
 */
#define NAMES_OK	(-1)
int	names_label_append(const uint8_t *lab, size_t n, char *out,
	    size_t *olen);
/**
 * Check a dotted text name (DHCP option 12/81 ASCII form, Kerberos) by
 * splitting it into labels; out gets the canonical form.  A single
 * trailing dot is allowed.  @return: NAMES_OK or the reason.
 */
int	names_text_check(const uint8_t *s, size_t n,
	    char out[NAMES_NAME_MAX + 1]);
/** NetBIOS name (15 bytes or fewer, trailing spaces trimmed here). */
int	names_nb_check(const uint8_t *s, size_t n,
	    char out[NAMES_NB_MAX + 1]);

/* ---- the table ---- */

/** One stored name of an address. */
struct name_entry {
	struct addr	 addr;
	uint8_t		 source;	/* enum name_source */
	uint8_t		 kind;		/* enum name_kind */
	uint8_t		 nb_suffix;
	bool		 nb_group;
	bool		 has_mac;
	uint8_t		 mac[6];
	uint64_t	 first_seen_us;	/* packet time */
	uint64_t	 last_seen_us;
	uint32_t	 seen;		/* facts that named it */
	bool		 dirty;		/* changed since last persisted */
	char		 name[NAMES_NAME_MAX + 1];
};

struct names_table;

/**
 * capacity entries at most (each distinct (address, source, kind, suffix,
 * name) is one entry); an entry not seen for expiry_s seconds of packet
 * time goes at names_expire().  Returns NULL on bad arguments or no
 * memory.
 */
struct names_table *names_table_create(uint32_t capacity, uint32_t expiry_s);
void	names_table_destroy(struct names_table *t);

/**
 * Record a fact seen at packet time now_us.  A name already known for the
 * address (same source, kind, suffix) is refreshed; a different name is a
 * new entry and the old one keeps its last_seen (a rename is history, not
 * an overwrite).  A full table drops its least recently seen entry
 * (counted).  Facts without an address are refused.
 * @return: 1 new entry, 0 refreshed, -1 refused.
 */
int	names_learn(struct names_table *t, const struct name_fact *f,
	    uint64_t now_us);

/** Restore an entry read back from the database at start (not dirty). */
int	names_restore(struct names_table *t, const struct name_entry *e);

/**
 * Names of ip, best display candidate first (the preference order above),
 * at most max copied into out.
 * @return: how many entries the address has (may exceed max).
 */
size_t	names_lookup(struct names_table *t, const struct addr *ip,
	    struct name_entry *out, size_t max);

/**
 * The display name of ip into buf (size len), and its source in *src
 * when src is not NULL.  @return: true if the address has a host-like
 * name, else false (buf set to "").
 */
bool	names_display(struct names_table *t, const struct addr *ip,
	    char *buf, size_t len, enum name_source *src);

/** Rank of an entry in the display order: 0 best; -1 never displayed. */
int	names_rank(const struct name_entry *e);

/** Drop entries not seen for the expiry as of now_us; returns how many. */
size_t	names_expire(struct names_table *t, uint64_t now_us);

/**
 * Visit entries, most recently seen first, under the table lock (fn must
 * not call back into the table); with only_dirty, just the changed ones,
 * whose dirty mark is cleared.
 */
void	names_foreach(struct names_table *t, bool only_dirty,
	    void (*fn)(void *arg, const struct name_entry *e), void *arg);

/** After a failed write of the dirty entries: write them all next time. */
void	names_mark_all_dirty(struct names_table *t);

size_t	names_count(struct names_table *t);
/** Entries ever dropped because the table was full. */
uint64_t names_evictions(struct names_table *t);
/** Facts refused by names_learn() (no address, bad source/kind). */
uint64_t names_refused(struct names_table *t);

#endif /* SVCMAP_NAMES_H */
