/*
 * clientconf.c — Java client settings -> librdkafka, one table.
 */
#include "appliance/conf/clientconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "lib/suggest.h"

#define C ROLE_CONSUMER
#define P ROLE_PRODUCER
#define A ROLE_ADMIN
#define ALL (C | P | A)

enum xl_kind {
	XL_DIRECT,      /* same meaning, maybe another name */
	XL_SPECIAL,     /* translated by code below */
	XL_NOEFFECT,    /* meaningful to Java clients, nothing to do for ferry */
	XL_UNSUPPORTED, /* would change behaviour but librdkafka 2.0.2 can't: warn */
};

struct client_key {
	const char *java;
	unsigned roles;
	int common; /* shared by all roles, allowed unprefixed */
	enum xl_kind kind;
	const char *rd; /* librdkafka name for XL_DIRECT */
	int sensitive;
	const char *note; /* why, for NOEFFECT/UNSUPPORTED */
};

static const struct client_key client_keys[] = {
	/* --- common: connection and security --- */
	{ "bootstrap.servers", ALL, 1, XL_DIRECT, "bootstrap.servers", 0, NULL },
	{ "client.id", ALL, 1, XL_DIRECT, "client.id", 0, NULL },
	{ "client.dns.lookup", ALL, 1, XL_SPECIAL, NULL, 0, NULL },
	{ "security.protocol", ALL, 1, XL_SPECIAL, NULL, 0, NULL },
	{ "sasl.mechanism", ALL, 1, XL_DIRECT, "sasl.mechanisms", 0, NULL },
	{ "sasl.jaas.config", ALL, 1, XL_SPECIAL, NULL, 1, NULL },
	{ "sasl.kerberos.service.name", ALL, 1, XL_DIRECT, "sasl.kerberos.service.name", 0, NULL },
	{ "sasl.kerberos.kinit.cmd", ALL, 1, XL_DIRECT, "sasl.kerberos.kinit.cmd", 0, NULL },
	{ "sasl.login.class", ALL, 1, XL_UNSUPPORTED, NULL, 0,
	  "custom Java login classes cannot run in ferry" },
	{ "sasl.client.callback.handler.class", ALL, 1, XL_UNSUPPORTED, NULL, 0,
	  "custom Java callback handlers cannot run in ferry" },
	{ "sasl.oauthbearer.token.endpoint.url", ALL, 1, XL_DIRECT,
	  "sasl.oauthbearer.token.endpoint.url", 0, NULL },
	{ "ssl.truststore.location", ALL, 1, XL_SPECIAL, NULL, 0, NULL },
	{ "ssl.truststore.type", ALL, 1, XL_SPECIAL, NULL, 0, NULL },
	{ "ssl.truststore.password", ALL, 1, XL_SPECIAL, NULL, 1, NULL },
	{ "ssl.truststore.certificates", ALL, 1, XL_SPECIAL, NULL, 0, NULL },
	{ "ssl.keystore.location", ALL, 1, XL_SPECIAL, NULL, 0, NULL },
	{ "ssl.keystore.type", ALL, 1, XL_SPECIAL, NULL, 0, NULL },
	{ "ssl.keystore.password", ALL, 1, XL_SPECIAL, NULL, 1, NULL },
	{ "ssl.keystore.key", ALL, 1, XL_SPECIAL, NULL, 1, NULL },
	{ "ssl.keystore.certificate.chain", ALL, 1, XL_SPECIAL, NULL, 0, NULL },
	{ "ssl.key.password", ALL, 1, XL_SPECIAL, NULL, 1, NULL },
	{ "ssl.endpoint.identification.algorithm", ALL, 1, XL_SPECIAL, NULL, 0, NULL },
	{ "ssl.protocol", ALL, 1, XL_NOEFFECT, NULL, 0,
	  "OpenSSL negotiates the highest TLS version both sides support" },
	{ "ssl.enabled.protocols", ALL, 1, XL_NOEFFECT, NULL, 0,
	  "OpenSSL negotiates the highest TLS version both sides support" },
	{ "ssl.cipher.suites", ALL, 1, XL_UNSUPPORTED, NULL, 0,
	  "Java cipher suite names differ from OpenSSL's; set none or use OpenSSL defaults" },
	{ "ssl.keymanager.algorithm", ALL, 1, XL_NOEFFECT, NULL, 0, "a Java-only setting" },
	{ "ssl.trustmanager.algorithm", ALL, 1, XL_NOEFFECT, NULL, 0, "a Java-only setting" },
	{ "ssl.secure.random.implementation", ALL, 1, XL_NOEFFECT, NULL, 0, "a Java-only setting" },
	{ "metadata.max.age.ms", ALL, 1, XL_DIRECT, "metadata.max.age.ms", 0, NULL },
	{ "reconnect.backoff.ms", ALL, 1, XL_DIRECT, "reconnect.backoff.ms", 0, NULL },
	{ "reconnect.backoff.max.ms", ALL, 1, XL_DIRECT, "reconnect.backoff.max.ms", 0, NULL },
	{ "retry.backoff.ms", ALL, 1, XL_DIRECT, "retry.backoff.ms", 0, NULL },
	{ "request.timeout.ms", ALL, 1, XL_SPECIAL, NULL, 0, NULL },
	{ "send.buffer.bytes", ALL, 1, XL_DIRECT, "socket.send.buffer.bytes", 0, NULL },
	{ "receive.buffer.bytes", ALL, 1, XL_DIRECT, "socket.receive.buffer.bytes", 0, NULL },
	{ "connections.max.idle.ms", ALL, 1, XL_DIRECT, "connections.max.idle.ms", 0, NULL },
	{ "socket.connection.setup.timeout.ms", ALL, 1, XL_DIRECT,
	  "socket.connection.setup.timeout.ms", 0, NULL },
	{ "metric.reporters", ALL, 1, XL_NOEFFECT, NULL, 0, "ferry exports its own metrics" },

	/* --- producer (the target side) --- */
	{ "acks", P, 0, XL_SPECIAL, NULL, 0, NULL },
	{ "enable.idempotence", P, 0, XL_SPECIAL, NULL, 0, NULL },
	{ "compression.type", P, 0, XL_DIRECT, "compression.type", 0, NULL },
	{ "linger.ms", P, 0, XL_DIRECT, "linger.ms", 0, NULL },
	{ "batch.size", P, 0, XL_DIRECT, "batch.size", 0, NULL },
	{ "max.request.size", P, 0, XL_DIRECT, "message.max.bytes", 0, NULL },
	{ "buffer.memory", P, 0, XL_SPECIAL, NULL, 0, NULL },
	{ "delivery.timeout.ms", P, 0, XL_SPECIAL, NULL, 0, NULL },
	/* librdkafka's own name, which MM2 files written for ferry may use */
	{ "message.timeout.ms", P, 0, XL_SPECIAL, NULL, 0, NULL },
	{ "max.in.flight.requests.per.connection", P, 0, XL_DIRECT, "max.in.flight", 0, NULL },
	{ "retries", P, 0, XL_DIRECT, "message.send.max.retries", 0, NULL },
	{ "key.serializer", P, 0, XL_NOEFFECT, NULL, 0, "ferry copies bytes unchanged" },
	{ "value.serializer", P, 0, XL_NOEFFECT, NULL, 0, "ferry copies bytes unchanged" },
	{ "max.block.ms", P, 0, XL_NOEFFECT, NULL, 0,
	  "ferry never blocks on a full queue; it waits for delivery reports" },
	{ "transactional.id", P, 0, XL_UNSUPPORTED, NULL, 0,
	  "exactly-once mirroring is not implemented yet" },

	/* --- consumer (the source side) --- */
	{ "fetch.min.bytes", C, 0, XL_DIRECT, "fetch.min.bytes", 0, NULL },
	{ "fetch.max.bytes", C, 0, XL_DIRECT, "fetch.max.bytes", 0, NULL },
	{ "fetch.max.wait.ms", C, 0, XL_DIRECT, "fetch.wait.max.ms", 0, NULL },
	{ "max.partition.fetch.bytes", C, 0, XL_DIRECT, "max.partition.fetch.bytes", 0, NULL },
	{ "isolation.level", C, 0, XL_SPECIAL, NULL, 0, NULL },
	{ "auto.offset.reset", C, 0, XL_SPECIAL, NULL, 0, NULL },
	{ "check.crcs", C, 0, XL_DIRECT, "check.crcs", 0, NULL },
	{ "client.rack", C, 0, XL_DIRECT, "client.rack", 0, NULL },
	{ "max.poll.records", C, 0, XL_NOEFFECT, NULL, 0, "ferry sizes its own batches" },
	{ "max.poll.interval.ms", C, 0, XL_NOEFFECT, NULL, 0,
	  "ferry's consumers do not join groups" },
	{ "session.timeout.ms", C, 0, XL_NOEFFECT, NULL, 0,
	  "ferry's consumers do not join groups" },
	{ "heartbeat.interval.ms", C, 0, XL_NOEFFECT, NULL, 0,
	  "ferry's consumers do not join groups" },
	{ "group.id", C, 0, XL_NOEFFECT, NULL, 0, "ferry's consumers do not join groups" },
	{ "enable.auto.commit", C, 0, XL_NOEFFECT, NULL, 0,
	  "ferry keeps positions in its state store" },
	{ "auto.commit.interval.ms", C, 0, XL_NOEFFECT, NULL, 0,
	  "ferry keeps positions in its state store" },
	{ "partition.assignment.strategy", C, 0, XL_NOEFFECT, NULL, 0,
	  "ferry assigns partitions itself" },
	{ "key.deserializer", C, 0, XL_NOEFFECT, NULL, 0, "ferry copies bytes unchanged" },
	{ "value.deserializer", C, 0, XL_NOEFFECT, NULL, 0, "ferry copies bytes unchanged" },
	{ "exclude.internal.topics", C, 0, XL_NOEFFECT, NULL, 0,
	  "ferry never mirrors internal topics" },
	{ "allow.auto.create.topics", C, 0, XL_NOEFFECT, NULL, 0,
	  "ferry never creates source topics" },

	/* --- admin --- */
	{ "default.api.timeout.ms", A, 0, XL_NOEFFECT, NULL, 0,
	  "ferry sets its own admin timeouts" },
};

#undef C
#undef P
#undef A

static const struct client_key *find_key(const char *java)
{
	for (size_t i = 0; i < sizeof(client_keys) / sizeof(client_keys[0]); i++)
		if (strcmp(client_keys[i].java, java) == 0)
			return &client_keys[i];
	return NULL;
}

const char *client_role_name(enum client_role r)
{
	switch (r) {
	case ROLE_CONSUMER:
		return "consumer";
	case ROLE_PRODUCER:
		return "producer";
	case ROLE_ADMIN:
		return "admin";
	}
	return "?";
}

int client_role_parse(const char *prefix, size_t len, enum client_role *out)
{
	static const struct {
		const char *n;
		enum client_role r;
	} roles[] = {
		{ "consumer", ROLE_CONSUMER },
		{ "producer", ROLE_PRODUCER },
		{ "admin", ROLE_ADMIN },
	};

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (strlen(roles[i].n) == len && strncmp(prefix, roles[i].n, len) == 0) {
			*out = roles[i].r;
			return 0;
		}
	}
	return -1;
}

int clientconf_is_common_key(const char *key)
{
	const struct client_key *k = find_key(key);

	return k && k->common;
}

int clientconf_is_known_key(const char *key, enum client_role role)
{
	const struct client_key *k = find_key(key);

	return k && (k->roles & role);
}

const char *clientconf_key_at(size_t i, unsigned *roles, int *common)
{
	if (i >= sizeof(client_keys) / sizeof(client_keys[0]))
		return NULL;
	*roles = client_keys[i].roles;
	*common = client_keys[i].common;
	return client_keys[i].java;
}

void clientconf_offer_keys(struct suggest *s, int common)
{
	static const enum client_role roles[] = { ROLE_CONSUMER, ROLE_PRODUCER, ROLE_ADMIN };

	for (size_t i = 0; i < sizeof(client_keys) / sizeof(client_keys[0]); i++) {
		const struct client_key *k = &client_keys[i];

		if (common && k->common)
			suggest_offer(s, "", k->java);
		for (size_t r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
			char pre[16];

			if (!(k->roles & roles[r]))
				continue;
			snprintf(pre, sizeof(pre), "%s.", client_role_name(roles[r]));
			suggest_offer(s, pre, k->java);
		}
	}
}

int clientconf_is_sensitive(const char *key)
{
	const struct client_key *k = find_key(key);

	if (k)
		return k->sensitive;
	/* unknown keys that look like secrets are treated as secrets */
	return strstr(key, "password") || strstr(key, "secret") || strstr(key, "jaas");
}

/* ---- building ---- */

struct build {
	const struct props *s;
	enum client_role role;
	const char *what;
	struct diags *d;
	rd_kafka_conf_t *conf;
};

static void __attribute__((format(printf, 3, 4)))
bad(struct build *b, const struct prop *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_vadd(b->d, 1, b->s->file, p ? p->line : 0, p ? p->key : NULL, fmt, ap);
	va_end(ap);
}

static int rd_set(struct build *b, const struct prop *p, const char *rdname, const char *value)
{
	char errstr[512];

	if (rd_kafka_conf_set(b->conf, rdname, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		diags_add(b->d, 1, b->s->file, p ? p->line : 0, p ? p->key : rdname,
			  "invalid value for %s (librdkafka %s): %s", b->what, rdname, errstr);
		return -1;
	}
	return 0;
}

/* The effective (last) setting of KEY, or NULL. */
static const struct prop *eff(const struct props *s, const char *key)
{
	return props_get(s, key);
}

static int is_last(const struct props *s, size_t i)
{
	return props_get(s, s->v[i].key) == &s->v[i];
}

/*
 * JAAS: `<LoginModule> required k1="v1" k2="v2";`. Only the options map
 * matters to librdkafka: username/password for PLAIN and SCRAM, keyTab and
 * principal for Kerberos.
 */
static int xl_jaas(struct build *b, const struct prop *p)
{
	const char *s = p->value;
	char module[256] = "";
	size_t n = 0;

	while (isspace((unsigned char)*s))
		s++;
	while (*s && !isspace((unsigned char)*s) && n + 1 < sizeof(module))
		module[n++] = *s++;
	module[n] = '\0';
	if (!*module) {
		bad(b, p, "%s",
		    "empty JAAS config; expected `<LoginModule> required username=\"...\" password=\"...\";`");
		return -1;
	}
	while (isspace((unsigned char)*s))
		s++;
	/* control flag */
	if (strncmp(s, "required", 8) == 0)
		// NOLINTNEXTLINE(bugprone-branch-clone): one skip per PAM control word
		s += 8;
	else if (strncmp(s, "requisite", 9) == 0)
		s += 9;
	else if (strncmp(s, "sufficient", 10) == 0)
		s += 10;
	else if (strncmp(s, "optional", 8) == 0)
		s += 8;
	else {
		bad(b, p, "%s",
		    "malformed JAAS config: expected a control flag (required) after the login module");
		return -1;
	}
	int is_plain_or_scram = strstr(module, "PlainLoginModule") ||
				strstr(module, "ScramLoginModule");
	int is_krb = strstr(module, "Krb5LoginModule") != NULL;
	int is_oauth = strstr(module, "OAuthBearerLoginModule") != NULL;

	if (!is_plain_or_scram && !is_krb && !is_oauth) {
		bad(b, p,
		    "unsupported JAAS login module %s; expected PlainLoginModule, ScramLoginModule, Krb5LoginModule or OAuthBearerLoginModule",
		    module);
		return -1;
	}
	for (;;) {
		char k[128], v[1024];
		size_t kl = 0, vl = 0;

		while (isspace((unsigned char)*s))
			s++;
		if (*s == ';' || !*s)
			break;
		while (*s && *s != '=' && !isspace((unsigned char)*s) && kl + 1 < sizeof(k))
			k[kl++] = *s++;
		k[kl] = '\0';
		while (isspace((unsigned char)*s))
			s++;
		if (*s != '=') {
			bad(b, p, "malformed JAAS config near option %s: expected key=\"value\"",
			    k);
			return -1;
		}
		s++;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '"') {
			s++;
			while (*s && *s != '"' && vl + 1 < sizeof(v)) {
				if (*s == '\\' && s[1])
					s++;
				v[vl++] = *s++;
			}
			if (*s != '"') {
				bad(b, p,
				    "malformed JAAS config: unterminated quoted value of option %s",
				    k);
				return -1;
			}
			s++;
		} else {
			while (*s && *s != ';' && !isspace((unsigned char)*s) && vl + 1 < sizeof(v))
				v[vl++] = *s++;
		}
		v[vl] = '\0';
		if (is_plain_or_scram && strcmp(k, "username") == 0)
			rd_set(b, p, "sasl.username", v);
		else if (is_plain_or_scram && strcmp(k, "password") == 0)
			rd_set(b, p, "sasl.password", v);
		else if (is_krb && strcmp(k, "keyTab") == 0)
			rd_set(b, p, "sasl.kerberos.keytab", v);
		else if (is_krb && strcmp(k, "principal") == 0)
			rd_set(b, p, "sasl.kerberos.principal", v);
		else if (is_oauth && strcmp(k, "clientId") == 0)
			rd_set(b, p, "sasl.oauthbearer.client.id", v);
		else if (is_oauth && strcmp(k, "clientSecret") == 0)
			rd_set(b, p, "sasl.oauthbearer.client.secret", v);
		else if (is_oauth && strcmp(k, "scope") == 0)
			rd_set(b, p, "sasl.oauthbearer.scope", v);
	}
	if (is_oauth)
		rd_set(b, p, "sasl.oauthbearer.method", "oidc");
	return 0;
}

/* Reads a whole small file (key material) into a NUL-terminated buffer. */
static char *read_small_file(const char *path, size_t *len, char *why, size_t whysz)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long sz;

	if (!f) {
		snprintf(why, whysz, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || sz > (16L << 20) ||
	    fseek(f, 0, SEEK_SET) != 0) {
		snprintf(why, whysz, "cannot read %s", path);
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)sz + 1);
	if (!buf || fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		snprintf(why, whysz, "cannot read %s", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[sz] = '\0';
	fclose(f);
	*len = (size_t)sz;
	return buf;
}

enum store_kind { STORE_UNKNOWN, STORE_PEM, STORE_PKCS12, STORE_JKS };

static enum store_kind sniff_store(const char *data, size_t len)
{
	const unsigned char *u = (const unsigned char *)data;

	if (len >= 4 && u[0] == 0xFE && u[1] == 0xED && u[2] == 0xFE && u[3] == 0xED)
		return STORE_JKS;
	if (memmem(data, len, "-----BEGIN", 10))
		return STORE_PEM;
	if (len >= 2 && u[0] == 0x30)
		return STORE_PKCS12; /* DER SEQUENCE */
	return STORE_UNKNOWN;
}

static int store_type(const char *declared, const char *data, size_t len, enum store_kind *out)
{
	enum store_kind sniffed = sniff_store(data, len);

	if (sniffed == STORE_JKS) {
		*out = STORE_JKS;
		return 0;
	}
	if (!declared || strcasecmp(declared, "JKS") == 0) {
		/* Java's default type is JKS; a file that is not JKS says what it is */
		*out = sniffed;
		return 0;
	}
	if (strcasecmp(declared, "PEM") == 0)
		*out = STORE_PEM;
	else if (strcasecmp(declared, "PKCS12") == 0)
		*out = STORE_PKCS12;
	else
		return -1;
	return 0;
}

/* CA certificates of a PKCS#12 truststore, as PEM text (caller frees). */
static char *pkcs12_ca_pem(const char *data, size_t len, const char *pass, char *why, size_t whysz)
{
	BIO *in = BIO_new_mem_buf(data, (int)len), *out = NULL;
	PKCS12 *p12 = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	char *pem = NULL;

	if (!in || !(p12 = d2i_PKCS12_bio(in, NULL))) {
		snprintf(why, whysz, "not a PKCS#12 file");
		goto done;
	}
	if (!PKCS12_parse(p12, pass ? pass : "", &pkey, &cert, &ca)) {
		snprintf(why, whysz,
			 "cannot open PKCS#12 truststore (wrong ssl.truststore.password?)");
		goto done;
	}
	out = BIO_new(BIO_s_mem());
	if (!out)
		goto done;
	if (cert)
		PEM_write_bio_X509(out, cert);
	for (int i = 0; ca && i < sk_X509_num(ca); i++)
		PEM_write_bio_X509(out, sk_X509_value(ca, i));
	{
		char *mem;
		long n = BIO_get_mem_data(out, &mem);

		if (n <= 0) {
			snprintf(why, whysz, "PKCS#12 truststore holds no certificates");
			goto done;
		}
		pem = malloc((size_t)n + 1);
		if (pem) {
			memcpy(pem, mem, (size_t)n);
			pem[n] = '\0';
		}
	}
done:
	ERR_clear_error();
	BIO_free(in);
	BIO_free(out);
	PKCS12_free(p12);
	EVP_PKEY_free(pkey);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	return pem;
}

/* The text of a memory BIO as a NUL-terminated copy (caller frees), or NULL. */
static char *bio_text(BIO *b)
{
	char *mem, *s;
	long n = BIO_get_mem_data(b, &mem);

	if (n <= 0 || !(s = malloc((size_t)n + 1)))
		return NULL;
	memcpy(s, mem, (size_t)n);
	s[n] = '\0';
	return s;
}

static void free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/*
 * The private key (unencrypted PKCS#8) and certificate of a PKCS#12
 * keystore, as PEM text; the caller frees *key_pem with free_secret().
 */
static int pkcs12_key_pem(const char *data, size_t len, const char *pass, char **key_pem,
			  char **cert_pem, char *why, size_t whysz)
{
	BIO *in = BIO_new_mem_buf(data, (int)len), *kout = NULL, *cout = NULL;
	PKCS12 *p12 = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	int rc = -1;

	*key_pem = *cert_pem = NULL;
	if (!in || !(p12 = d2i_PKCS12_bio(in, NULL))) {
		snprintf(why, whysz, "not a PKCS#12 file");
		goto done;
	}
	if (!PKCS12_parse(p12, pass ? pass : "", &pkey, &cert, &ca)) {
		snprintf(why, whysz, "cannot open PKCS#12 keystore (wrong ssl.keystore.password?)");
		goto done;
	}
	if (!pkey || !cert) {
		snprintf(why, whysz, "PKCS#12 keystore holds no private key with its certificate");
		goto done;
	}
	/* memory BIOs clear their buffers when freed */
	kout = BIO_new(BIO_s_mem());
	cout = BIO_new(BIO_s_mem());
	if (!kout || !cout || !PEM_write_bio_PrivateKey(kout, pkey, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(cout, cert) || !(*key_pem = bio_text(kout)) ||
	    !(*cert_pem = bio_text(cout))) {
		snprintf(why, whysz, "cannot convert the PKCS#12 keystore to PEM");
		free_secret(*key_pem);
		*key_pem = NULL;
		goto done;
	}
	rc = 0;
done:
	ERR_clear_error();
	BIO_free(in);
	BIO_free(kout);
	BIO_free(cout);
	PKCS12_free(p12);
	EVP_PKEY_free(pkey);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	return rc;
}

static const char jks_hint[] =
	"Java KeyStore (JKS) files cannot be read by librdkafka; convert it with "
	"`keytool -importkeystore -srckeystore F.jks -destkeystore F.p12 -deststoretype PKCS12` "
	"and set the type to PKCS12, or export PEM";

/*
 * Reads the key or trust store LOC and tells PEM from PKCS#12; reports a
 * missing file, an unknown type or a JKS file against the right line.
 * Returns 0 with *data (caller frees), or -1.
 */
static int open_store(struct build *b, const struct prop *loc, const struct prop *type,
		      const char *what, char **data, size_t *len, enum store_kind *kind)
{
	char why[512];

	*data = read_small_file(loc->value, len, why, sizeof(why));
	if (!*data) {
		bad(b, loc, "%s", why);
		return -1;
	}
	if (store_type(type ? type->value : NULL, *data, *len, kind) != 0)
		bad(b, type, "unknown %s type %s; expected PEM or PKCS12", what, type->value);
	else if (*kind == STORE_JKS)
		bad(b, loc, "%s", jks_hint);
	else if (*kind == STORE_UNKNOWN)
		bad(b, loc, "cannot tell the %s's format; expected PEM or PKCS12 (set ssl.%s.type)",
		    what, what);
	else
		return 0;
	free(*data);
	*data = NULL;
	return -1;
}

static void xl_ssl(struct build *b)
{
	const struct prop *tloc = eff(b->s, "ssl.truststore.location");
	const struct prop *ttype = eff(b->s, "ssl.truststore.type");
	const struct prop *tpass = eff(b->s, "ssl.truststore.password");
	const struct prop *tcerts = eff(b->s, "ssl.truststore.certificates");
	const struct prop *kloc = eff(b->s, "ssl.keystore.location");
	const struct prop *ktype = eff(b->s, "ssl.keystore.type");
	const struct prop *kpass = eff(b->s, "ssl.keystore.password");
	const struct prop *kkey = eff(b->s, "ssl.keystore.key");
	const struct prop *kchain = eff(b->s, "ssl.keystore.certificate.chain");
	const struct prop *keypass = eff(b->s, "ssl.key.password");
	const struct prop *eia = eff(b->s, "ssl.endpoint.identification.algorithm");
	char why[512];
	char *data;
	size_t len;
	enum store_kind k;

	if (tcerts)
		rd_set(b, tcerts, "ssl.ca.pem", tcerts->value);
	if (tloc && open_store(b, tloc, ttype, "truststore", &data, &len, &k) == 0) {
		if (k == STORE_PEM) {
			rd_set(b, tloc, "ssl.ca.location", tloc->value);
		} else {
			char *pem = pkcs12_ca_pem(data, len, tpass ? tpass->value : NULL, why,
						  sizeof(why));

			if (!pem)
				bad(b, tloc, "%s", why);
			else
				rd_set(b, tloc, "ssl.ca.pem", pem);
			free(pem);
		}
		free(data);
	}
	if (kkey)
		rd_set(b, kkey, "ssl.key.pem", kkey->value);
	if (kchain)
		rd_set(b, kchain, "ssl.certificate.pem", kchain->value);
	if (kloc && open_store(b, kloc, ktype, "keystore", &data, &len, &k) == 0) {
		if (k == STORE_PEM) {
			/* one PEM file with the key and its certificate chain */
			rd_set(b, kloc, "ssl.key.location", kloc->value);
			rd_set(b, kloc, "ssl.certificate.location", kloc->value);
		} else {
			/*
			 * Not librdkafka's ssl.keystore.location: 2.0.2 leaks an
			 * X509 and an EVP_PKEY for every client made with it (it
			 * allocates both, then PKCS12_parse() overwrites the
			 * pointers). The same key and certificate as PEM instead;
			 * a wrong password is also found here, with file:line.
			 */
			char *key_pem, *cert_pem;

			if (pkcs12_key_pem(data, len, kpass ? kpass->value : NULL, &key_pem,
					   &cert_pem, why, sizeof(why)) != 0) {
				bad(b, kloc, "%s", why);
			} else {
				rd_set(b, kloc, "ssl.key.pem", key_pem);
				rd_set(b, kloc, "ssl.certificate.pem", cert_pem);
			}
			free_secret(key_pem);
			free(cert_pem);
		}
		free(data);
	}
	if (keypass)
		rd_set(b, keypass, "ssl.key.password", keypass->value);
	if (eia) {
		if (eia->value[0] == '\0')
			rd_set(b, eia, "ssl.endpoint.identification.algorithm", "none");
		else if (strcasecmp(eia->value, "https") == 0)
			rd_set(b, eia, "ssl.endpoint.identification.algorithm", "https");
		else
			bad(b, eia, "unknown algorithm %s; expected https or an empty value",
			    eia->value);
	} else {
		/* Java clients verify the broker's host name by default; so do we */
		rd_set(b, NULL, "ssl.endpoint.identification.algorithm", "https");
	}
}

static void xl_special(struct build *b, const struct prop *p)
{
	const char *k = p->key, *v = p->value;
	char tmp[64];

	if (strcmp(k, "security.protocol") == 0) {
		static const char *const ok[] = { "PLAINTEXT", "SSL", "SASL_PLAINTEXT",
						  "SASL_SSL" };
		size_t i;

		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			if (strcasecmp(v, ok[i]) == 0)
				break;
		if (i == sizeof(ok) / sizeof(ok[0]))
			bad(b, p,
			    "unknown protocol %s; expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL",
			    v);
		else
			rd_set(b, p, "security.protocol", ok[i]);
	} else if (strcmp(k, "sasl.jaas.config") == 0) {
		xl_jaas(b, p);
	} else if (strcmp(k, "client.dns.lookup") == 0) {
		/* librdkafka 2.0.2 has no such property (2.2 added it): it always
		 * tries every address a broker's name resolves to, which is the
		 * Java clients' default, use_all_dns_ips ("default" is its pre-3.0
		 * spelling); the Kerberos-minded canonical lookup it cannot do */
		if (strcmp(v, "resolve_canonical_bootstrap_servers_only") == 0)
			diags_add(b->d, 0, b->s->file, p->line, p->key,
				  "not supported, ignored: librdkafka 2.0.2 connects to the "
				  "bootstrap names as written (use_all_dns_ips)");
		else if (strcmp(v, "use_all_dns_ips") != 0 && strcmp(v, "default") != 0)
			bad(b, p,
			    "expected use_all_dns_ips or resolve_canonical_bootstrap_servers_only, "
			    "got \"%s\"",
			    v);
	} else if (strcmp(k, "request.timeout.ms") == 0) {
		rd_set(b, p, b->role == ROLE_PRODUCER ? "request.timeout.ms" : "socket.timeout.ms",
		       v);
	} else if (strcmp(k, "acks") == 0) {
		if (strcmp(v, "all") != 0 && strcmp(v, "-1") != 0)
			bad(b, p, "acks=%s could lose records; ferry requires acks=all", v);
	} else if (strcmp(k, "enable.idempotence") == 0) {
		if (strcasecmp(v, "true") != 0)
			bad(b, p,
			    "enable.idempotence=%s could duplicate or reorder records; ferry requires true",
			    v);
	} else if (strcmp(k, "buffer.memory") == 0) {
		char *end;
		long long bytes;

		errno = 0;
		bytes = strtoll(v, &end, 10);
		if (errno || *end || bytes < 1024) {
			bad(b, p, "expected a number of bytes >= 1024, got \"%s\"", v);
			return;
		}
		snprintf(tmp, sizeof(tmp), "%lld", bytes / 1024);
		rd_set(b, p, "queue.buffering.max.kbytes", tmp);
	} else if (strcmp(k, "delivery.timeout.ms") == 0 || strcmp(k, "message.timeout.ms") == 0) {
		char *end;
		long long ms;

		/* 0 (librdkafka) and Integer.MAX_VALUE (Java) mean: never give up */
		errno = 0;
		ms = strtoll(v, &end, 10);
		if (errno || end == v || *end || ms < 0)
			bad(b, p, "expected 0 or 2147483647 (no timeout), got \"%s\"", v);
		else if (ms != 0 && ms != 2147483647)
			bad(b, p,
			    "%s=%s would reorder records: a batch that times out is retried "
			    "after later ones were written; ferry requires 0 or 2147483647 "
			    "(no timeout; a stalled target makes the lag grow instead)",
			    k, v);
		else
			rd_set(b, p, "message.timeout.ms", "0");
	} else if (strcmp(k, "isolation.level") == 0) {
		/* whether read_uncommitted is allowed is the flow's
		 * ferry.mirror.read.uncommitted, checked by conf.c */
		if (strcmp(v, "read_committed") != 0 && strcmp(v, "read_uncommitted") != 0)
			bad(b, p, "expected read_committed or read_uncommitted, got \"%s\"", v);
		else
			rd_set(b, p, "isolation.level", v);
	} else if (strcmp(k, "auto.offset.reset") == 0) {
		/* only where a partition ferry never mirrored starts (read by
		 * mirror.c); a saved position is never reset, so librdkafka's
		 * own auto.offset.reset is ferry's business, not the file's */
		if (strcmp(v, "none") == 0)
			bad(b, p,
			    "auto.offset.reset=none is not supported: ferry never resets a saved "
			    "position, and a partition it never mirrored must start somewhere; "
			    "expected earliest or latest");
		else if (strcmp(v, "earliest") != 0 && strcmp(v, "latest") != 0)
			bad(b, p,
			    "expected earliest or latest (where a partition ferry never "
			    "mirrored starts), got \"%s\"",
			    v);
	}
	/* ssl.* is translated as a group in xl_ssl() */
}

int clientconf_build(const struct props *settings, enum client_role role, const char *what,
		     struct diags *d, rd_kafka_conf_t *into)
{
	struct build b = { .s = settings, .role = role, .what = what, .d = d };
	unsigned errors_before = d->nerrors;
	int have_ssl = 0;

	b.conf = into ? into : rd_kafka_conf_new();
	for (size_t i = 0; i < settings->n; i++) {
		const struct prop *p = &settings->v[i];
		const struct client_key *k;

		if (!is_last(settings, i))
			continue; /* overridden by a later, higher-precedence setting */
		k = find_key(p->key);
		if (!k) {
			diags_add(d, 0, settings->file, p->line, p->key,
				  "unknown %s setting, ignored", client_role_name(role));
			continue;
		}
		if (!(k->roles & role)) {
			diags_add(d, 0, settings->file, p->line, p->key,
				  "not a %s setting, ignored", client_role_name(role));
			continue;
		}
		switch (k->kind) {
		case XL_DIRECT:
			rd_set(&b, p, k->rd, p->value);
			break;
		case XL_SPECIAL:
			if (strncmp(p->key, "ssl.", 4) == 0)
				have_ssl = 1;
			else
				xl_special(&b, p);
			break;
		case XL_NOEFFECT:
			break;
		case XL_UNSUPPORTED:
			diags_add(d, 0, settings->file, p->line, p->key,
				  "not supported, ignored: %s", k->note);
			break;
		}
	}
	if (have_ssl || eff(settings, "security.protocol"))
		xl_ssl(&b);

	if (!into)
		rd_kafka_conf_destroy(b.conf);
	return d->nerrors != errors_before ? -1 : 0;
}
