/*
 * test_placement.c — placement_check(): rules, labels, several rules on
 * one topic, clusters without labels, and the loader's refusals.
 */
#include <string.h>

#include "appliance/conf/conf.h"
#include "appliance/placement/placement.h"
#include "tap.h"

static const char base[] = "clusters = A, EU, US, N\n"
			   "A.bootstrap.servers = localhost:1\n"
			   "EU.bootstrap.servers = localhost:2\n"
			   "US.bootstrap.servers = localhost:3\n"
			   "N.bootstrap.servers = localhost:4\n"
			   "A->EU.enabled = true\n"
			   "EU->US.enabled = true\n"
			   "A.ferry.labels = region=eu, jurisdiction=de\n"
			   "EU.ferry.labels = region = eu , jurisdiction=de\n"
			   "US.ferry.labels = region=us, jurisdiction=kr\n";

static struct conf *load(const char *extra, struct diags *d)
{
	char text[4096];
	struct conf *c = NULL;

	snprintf(text, sizeof(text), "%s%s", base, extra);
	if (conf_parse("mm2.properties", text, strlen(text), &c, d))
		return NULL;
	return c;
}

static int refused(const char *extra, const char *needle)
{
	struct diags d = { 0 };
	struct conf *c = load(extra, &d);
	int hit = 0;

	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].is_error && strstr(d.v[i].msg, needle))
			hit = 1;
	if (!hit)
		for (size_t i = 0; i < d.n; i++)
			diag("%s", d.v[i].msg);
	conf_free(c);
	diags_free(&d);
	return !c && hit;
}

int main(void)
{
	struct diags d = { 0 };
	struct conf *c = load("ferry.placement.rules = pii, trading\n"
			      "ferry.placement.pii.topics = customers-.*, kyc\\\\..*\n"
			      "ferry.placement.pii.require = region=eu\n"
			      "ferry.placement.pii.category = personal-data\n"
			      "ferry.placement.pii.basis = GDPR Art. 44\n"
			      "ferry.placement.trading.topics = orders-kr.*, customers-kr\n"
			      "ferry.placement.trading.require = jurisdiction=kr\n"
			      "ferry.placement.trading.category = trading\n",
			      &d);
	struct placement_verdict v;
	struct ferr err;
	char buf[256];

	ok(c != NULL, "rules and labels load");
	if (!c) {
		for (size_t i = 0; i < d.n; i++)
			diag("%s", d.v[i].msg);
		diags_free(&d);
		return done_testing();
	}
	diags_free(&d);
	placement_labels(c, "EU", buf, sizeof(buf));
	is(buf, "region=eu, jurisdiction=de", "labels trimmed, in order");
	placement_labels(c, "N", buf, sizeof(buf));
	is(buf, "", "a cluster without labels");

	ok(placement_check(c, "customers-eu", "EU", &v, &err) == 0 && v.allowed, "pii topic to EU");
	is(v.rules, "pii", "named by pii");
	is(v.category, "personal-data", "its category");
	is(v.basis, "GDPR Art. 44", "its basis");
	ok(placement_check(c, "customers-eu", "US", &v, &err) == 0 && !v.allowed,
	   "pii topic to US");
	is(v.blocking, "pii", "blocked by pii");
	is(v.missing, "region=eu", "what US lacks");
	ok(placement_check(c, "customers-eu", "N", &v, &err) == 0 && !v.allowed,
	   "a cluster without labels meets no requirement");
	ok(placement_check(c, "orders", "N", &v, &err) == 0 && v.allowed && v.nrules == 0,
	   "a topic no rule names goes anywhere");
	ok(placement_check(c, "kyc.x", "US", &v, &err) == 0 && !v.allowed,
	   "kyc\\..* matches kyc.x");
	ok(placement_check(c, "kycx", "US", &v, &err) == 0 && v.allowed, "but not kycx");
	ok(placement_check(c, "xcustomers-eu", "US", &v, &err) == 0 && v.allowed,
	   "whole-name match only");
	/* two rules: both must be met */
	ok(placement_check(c, "customers-kr", "US", &v, &err) == 0 && !v.allowed,
	   "customers-kr to US: trading met, pii not");
	is(v.rules, "pii, trading", "both rules name it");
	is(v.blocking, "pii", "only pii blocks");
	is(v.category, "personal-data, trading", "both categories");
	ok(placement_check(c, "customers-kr", "EU", &v, &err) == 0 && !v.allowed,
	   "customers-kr to EU: pii met, trading not");
	is(v.blocking, "trading", "trading blocks");
	is(v.missing, "jurisdiction=kr", "EU lacks jurisdiction=kr");
	ok(placement_check(c, "orders", "X", &v, &err) == -1 && err.code == FERR_NOT_FOUND,
	   "an unknown cluster is an error");
	ok(placement_any(c), "placement_any");
	/* the second hop: A.customers-eu on EU, copied on to US */
	const struct conf_flow *hop = conf_find_flow(c, "EU->US");

	ok(hop && placement_check_flow(c, hop, "A.customers-eu", &v, &err) == 0 && !v.allowed,
	   "a remote topic is judged by its upstream name too");
	is(v.blocking, "pii", "pii blocks A.customers-eu on the second hop");
	ok(hop && placement_check_flow(c, hop, "A.customers-kr", &v, &err) == 0 && !v.allowed &&
		   strcmp(v.rules, "pii, trading") == 0,
	   "its rules merged");
	ok(hop && placement_check_flow(c, hop, "A.orders", &v, &err) == 0 && v.allowed,
	   "A.orders goes on");
	ok(hop && placement_check_flow(c, hop, "A.kyc.x", &v, &err) == 0 && !v.allowed,
	   "a dotted upstream name");
	/* a flow whose target the rule set does not know (a flow of another
	 * configuration generation): the verdict says no, never yes */
	struct conf_flow ghost = *hop;

	ghost.target = "X";
	v.allowed = 1;
	ok(placement_check_flow(c, &ghost, "orders", &v, &err) == -1 && !v.allowed &&
		   strstr(v.blocking, "placement check failed") != NULL,
	   "an error fails closed: the verdict holds the topic back");

	conf_free(c);

	ok(refused("ferry.placement.rules = ghost\n", "unknown rule \"ghost\""), "unknown rule");
	ok(refused("ferry.placement.rules = r\nferry.placement.r.topics = x\n",
		   "rule \"r\" requires nothing"),
	   "rule without require");
	ok(refused("ferry.placement.rules = r\nferry.placement.r.require = a=b\n",
		   "rule \"r\" has no topics"),
	   "rule without topics");
	ok(refused("ferry.placement.r.topics = x\n", "rule \"r\" is not listed"), "unlisted rule");
	ok(refused("ferry.placement.rules = r, r\nferry.placement.r.topics = x\n"
		   "ferry.placement.r.require = a=b\n",
		   "listed twice"),
	   "a rule listed twice");
	ok(refused("ferry.placement.rules = r\nferry.placement.r.topics = x(\n"
		   "ferry.placement.r.require = a=b\n",
		   "invalid regular expression"),
	   "invalid regex");
	ok(refused("ferry.placement.rules = r\nferry.placement.r.topics = x\n"
		   "ferry.placement.r.require = a=\n",
		   "malformed label \"a=\""),
	   "require with an empty value");
	ok(refused("N.ferry.labels = =x\n", "malformed label \"=x\""), "label without a key");
	ok(refused("N.ferry.labels = a=b, a=c\n", "label key \"a\" given twice"), "a key twice");
	ok(refused("N.ferry.labels = a=b,\n", "ends with ','"), "a trailing comma");
	ok(refused("N.ferry.labels = a=b;c\n", "malformed label"), "a bad character");
	ok(refused("ferry.labels = a=b\n", "set per cluster"), "labels without a cluster");
	return done_testing();
}
