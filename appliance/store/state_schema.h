/*
 * state_schema.h — the numbered migrations of the state store, generated
 * from schema/NNN_*.sql at build time (schema/embed.sh).
 */
#ifndef FERRY_STATE_SCHEMA_H
#define FERRY_STATE_SCHEMA_H

struct schema_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct schema_migration schema_migrations[];
extern const unsigned schema_migrations_count;
extern const int schema_version_latest; /* the highest version (numbers may skip) */

#endif
