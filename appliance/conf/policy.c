/*
 * policy.c — MM2's replication policies (DefaultReplicationPolicy,
 * IdentityReplicationPolicy) reimplemented from their documented behaviour.
 */
#include "appliance/conf/policy.h"

#include <stdio.h>
#include <string.h>

static const char *const default_prefix = "org.apache.kafka.connect.mirror.";

int policy_kind_parse(const char *cls, enum policy_kind *out)
{
	const char *simple = cls;
	size_t plen = strlen(default_prefix);

	if (strncmp(cls, default_prefix, plen) == 0)
		simple = cls + plen;
	if (strcmp(simple, "DefaultReplicationPolicy") == 0)
		*out = POLICY_DEFAULT;
	else if (strcmp(simple, "IdentityReplicationPolicy") == 0)
		*out = POLICY_IDENTITY;
	else
		return -1;
	return 0;
}

const char *policy_kind_name(enum policy_kind k)
{
	return k == POLICY_IDENTITY ? "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
				    : "org.apache.kafka.connect.mirror.DefaultReplicationPolicy";
}

int policy_init(struct policy *p, enum policy_kind kind, const char *separator, struct ferr *err)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	if (!separator || !*separator)
		return ferr_set(err, "replication.policy.separator must not be empty");
	if (strlen(separator) >= sizeof(p->separator))
		return ferr_set(err, "replication.policy.separator is too long");
	snprintf(p->separator, sizeof(p->separator), "%s", separator);
	snprintf(p->internal_sep, sizeof(p->internal_sep), "%s", separator);
	snprintf(p->heartbeats_topic, sizeof(p->heartbeats_topic), "heartbeats");
	return 0;
}

void policy_set_internal_separator(struct policy *p, int use_separator)
{
	snprintf(p->internal_sep, sizeof(p->internal_sep), "%s",
		 use_separator ? p->separator : ".");
}

int policy_offset_syncs_topic(const struct policy *p, const char *alias, char *out, size_t sz)
{
	int n = snprintf(out, sz, "mm2-offset-syncs%s%s%sinternal", p->internal_sep, alias,
			 p->internal_sep);

	return n < 0 || (size_t)n >= sz ? -1 : 0;
}

int policy_checkpoints_topic(const struct policy *p, const char *alias, char *out, size_t sz)
{
	int n = snprintf(out, sz, "%s%scheckpoints%sinternal", alias, p->internal_sep,
			 p->internal_sep);

	return n < 0 || (size_t)n >= sz ? -1 : 0;
}

/* Java's String.split drops trailing empty strings; a topic is remote when
 * splitting on the separator yields at least two parts. */
static int default_topic_source(const struct policy *p, const char *topic, char *out, size_t outsz)
{
	const char *sep = p->separator;
	size_t sl = strlen(sep);
	const char *first = strstr(topic, sep);
	const char *q;

	if (!first)
		return 0;
	/* is there a non-empty part after the first separator? */
	for (q = first + sl; *q;) {
		if (strncmp(q, sep, sl) == 0) {
			q += sl;
			continue;
		}
		break;
	}
	if (!*q)
		return 0;
	if (out) {
		size_t n = (size_t)(first - topic);

		if (n >= outsz)
			n = outsz - 1;
		memcpy(out, topic, n);
		out[n] = '\0';
	}
	return 1;
}

static int looks_like_heartbeat(const struct policy *p, const char *topic)
{
	size_t tl = strlen(topic), hl = strlen(p->heartbeats_topic);

	return tl >= hl && strcmp(topic + tl - hl, p->heartbeats_topic) == 0;
}

int policy_format_remote(const struct policy *p, const char *source, const char *topic, char *out,
			 size_t outsz)
{
	int n;

	if (p->kind == POLICY_IDENTITY && !looks_like_heartbeat(p, topic))
		n = snprintf(out, outsz, "%s", topic);
	else
		n = snprintf(out, outsz, "%s%s%s", source, p->separator, topic);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

int policy_topic_source(const struct policy *p, const char *topic, char *out, size_t outsz)
{
	if (p->kind == POLICY_IDENTITY && !looks_like_heartbeat(p, topic))
		return 0;
	return default_topic_source(p, topic, out, outsz);
}

int policy_upstream_topic(const struct policy *p, const char *topic, char *out, size_t outsz)
{
	char src[256];

	if (p->kind == POLICY_IDENTITY && !looks_like_heartbeat(p, topic)) {
		/* identity: the upstream topic is the topic itself */
		snprintf(out, outsz, "%s", topic);
		return 0;
	}
	if (!default_topic_source(p, topic, src, sizeof(src)))
		return 0;
	snprintf(out, outsz, "%s", topic + strlen(src) + strlen(p->separator));
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int policy_is_internal(const struct policy *p, const char *topic)
{
	char suffix[80];

	/* Kafka-internal, MM2-internal (with its separator) and Connect's defaults */
	snprintf(suffix, sizeof(suffix), "%sinternal", p->internal_sep);
	return strncmp(topic, "__", 2) == 0 || topic[0] == '.' || ends_with(topic, suffix) ||
	       ends_with(topic, ".internal") || ends_with(topic, "-internal");
}

int policy_is_heartbeats(const struct policy *p, const char *topic)
{
	char cur[512], next[512];

	snprintf(cur, sizeof(cur), "%s", topic);
	/* originalTopic(): follow upstream names to the root */
	for (int hops = 0; hops < 64; hops++) {
		if (!policy_upstream_topic(p, cur, next, sizeof(next)) || strcmp(next, cur) == 0)
			break;
		memcpy(cur, next, sizeof(cur));
	}
	return strcmp(cur, p->heartbeats_topic) == 0;
}

int policy_is_cycle(const struct policy *p, const char *topic, const char *target)
{
	char cur[512], src[256], next[512];

	snprintf(cur, sizeof(cur), "%s", topic);
	for (int hops = 0; hops < 64; hops++) {
		if (!policy_topic_source(p, cur, src, sizeof(src)))
			return 0;
		if (strcmp(src, target) == 0)
			return 1;
		if (!policy_upstream_topic(p, cur, next, sizeof(next)) || strcmp(next, cur) == 0)
			return 0;
		memcpy(cur, next, sizeof(cur));
	}
	return 0;
}
