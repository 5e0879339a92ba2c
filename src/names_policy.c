/*
 * names_policy.c - what a learned name may contain (the policy is stated
 * in names.h), and the words sources and kinds are stored under.
 *
 * Names come from anyone who can send a packet, and they end up in JSON,
 * syslog lines, metric labels and an operator's terminal.  So the policy
 * is an allow-list: a name that is not plainly a host, domain or NetBIOS
 * name is refused and counted, never "cleaned up" into something that
 * looks like a real name.
 */
#include <stdint.h>
#include <string.h>

#include "svcmap/names.h"

static const char *const source_names[NAME_SRC__COUNT] = {
	"dns", "dns-ptr", "nbns", "llmnr", "mdns", "dhcp", "kerberos",
	"cldap", "ntlm"
};

static const char *const kind_names[NAME_KIND__COUNT] = {
	"host", "netbios", "domain", "nb-domain", "forest", "realm", "site",
	"spn"
};

static const char *const reject_names[NAME_REJ__COUNT] = {
	"too_long", "bad_utf8", "control", "bad_char", "pointer", "empty"
};

const char *
names_source_name(enum name_source s)
{
	return (unsigned)s < NAME_SRC__COUNT ? source_names[s] : "?";
}

const char *
names_kind_name(enum name_kind k)
{
	return (unsigned)k < NAME_KIND__COUNT ? kind_names[k] : "?";
}

const char *
names_reject_name(enum names_reject r)
{
	return (unsigned)r < NAME_REJ__COUNT ? reject_names[r] : "?";
}

int
names_source_parse(const char *word)
{
	int i;

	for (i = 0; i < NAME_SRC__COUNT; i++)
		if (strcmp(word, source_names[i]) == 0)
			return i;
	return -1;
}

/*
 * Code points that draw nothing or reorder what follows: zero-width
 * spaces and joiners, line/paragraph separators, bidi embeddings and
 * overrides, invisible operators, the BOM.  A name holding one can show
 * as a different name than it is.
 */
static bool
invisible_cp(uint32_t cp)
{
	return (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff;
}

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes left), with its
 * code point in *cp; 0 when ill-formed (overlong, surrogate, > U+10FFFF,
 * cut short).
 */
static size_t
utf8_seq(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static bool
ldh(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int
names_label_append(const uint8_t *lab, size_t n, char *out, size_t *olen)
{
	size_t i, k, need;
	uint32_t cp;

	if (n == 0)
		return NAME_REJ_EMPTY;
	if (n > 63)
		return NAME_REJ_TOO_LONG;
	need = *olen + (*olen > 0) + n;
	if (need > NAMES_NAME_MAX)
		return NAME_REJ_TOO_LONG;
	/* Check the whole label before writing any of it. */
	for (i = 0; i < n; i += k) {
		if (lab[i] < 0x80) {
			if (lab[i] < 0x20 || lab[i] == 0x7f)
				return NAME_REJ_CONTROL;
			if (!ldh(lab[i]))
				return NAME_REJ_BAD_CHAR;
			k = 1;
			continue;
		}
		if ((k = utf8_seq(lab + i, n - i, &cp)) == 0)
			return NAME_REJ_BAD_UTF8;
		if (cp < 0xa0 || invisible_cp(cp))
			return NAME_REJ_CONTROL;
	}
	if (*olen > 0)
		out[(*olen)++] = '.';
	for (i = 0; i < n; i++)
		out[(*olen)++] = lab[i] >= 'A' && lab[i] <= 'Z' ?
		    (char)(lab[i] - 'A' + 'a') : (char)lab[i];
	out[*olen] = '\0';
	return NAMES_OK;
}

int
names_text_check(const uint8_t *s, size_t n, char out[NAMES_NAME_MAX + 1])
{
	size_t olen = 0, i, start;
	int r;

	out[0] = '\0';
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0)
		return NAME_REJ_EMPTY;
	if (n > NAMES_NAME_MAX)
		return NAME_REJ_TOO_LONG;
	for (start = 0, i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if ((r = names_label_append(s + start, i - start, out,
		    &olen)) != NAMES_OK) {
			out[0] = '\0';
			return r;
		}
		start = i + 1;
	}
	return NAMES_OK;
}

static bool
nb_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("-_.!#$%&'()@^{}~", c) != NULL;
}

int
names_nb_check(const uint8_t *s, size_t n, char out[NAMES_NB_MAX + 1])
{
	size_t i;

	out[0] = '\0';
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n == 0)
		return NAME_REJ_EMPTY;
	if (n > NAMES_NB_MAX)
		return NAME_REJ_TOO_LONG;
	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return NAME_REJ_CONTROL;
		/* nb_char(0) would match strchr's terminator: checked above. */
		if (!nb_char(s[i]))
			return NAME_REJ_BAD_CHAR;
	}
	for (i = 0; i < n; i++)
		out[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') :
		    (char)s[i];
	out[n] = '\0';
	return NAMES_OK;
}
