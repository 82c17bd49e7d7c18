/*
 * cmdtab.h — the one table of ferry's commands. Each entry gives the
 * grammar ("pause flow FLOW"), a help line per token, the required role,
 * the modes it is valid in and a longer description. ferryd's control
 * socket parses and authorises requests with it, the `ferry` shell builds
 * `?` help, tab completion and error suggestions from it, and `ferry help
 * --all` (the source of the ferry(1) command list) prints it.
 *
 * Grammar: lowercase words and "|" are keywords (a unique prefix is
 * accepted, as on routers); UPPERCASE words are arguments of a kind
 * (FLOW, CLUSTER, TOPIC, GROUP, KEY, VALUE, TEXT, REVISION, COUNT); an
 * argument in [brackets] is optional and must come last, or be followed
 * only by optional keywords, each with its argument ("show transfers [FLOW]
 * [--since DATE]": a word that is that keyword skips the argument, whose
 * value is then NULL). Optional keywords come in the table's order, and
 * each may be left out (its argument is then NULL): "show audit [COUNT]
 * [--since DATETIME] [--after ID]" takes "show audit --after 7". VALUE
 * and TEXT take the rest of the line.
 */
#ifndef FERRY_CMDTAB_H
#define FERRY_CMDTAB_H

#include <stddef.h>

#include "lib/roles.h"

enum cmd_id {
	CMD_HELP,
	CMD_EXIT,
	CMD_SHOW_VERSION,
	CMD_SHOW_CLUSTERS,
	CMD_SHOW_FLOWS,
	CMD_SHOW_TOPICS,
	CMD_SHOW_LAG,
	CMD_SHOW_OFFSETS,
	CMD_SHOW_GROUPS,
	CMD_SHOW_METRICS,
	CMD_SHOW_AUDIT,
	CMD_AUDIT_VERIFY,
	CMD_SHOW_CONFIG,
	CMD_SHOW_REVISIONS,
	CMD_SHOW_TRANSFERS,
	CMD_SHOW_PLACEMENT,
	CMD_SHOW_SINK,
	CMD_PLACEMENT_CHECK,
	CMD_SHOW_OFFSET_SYNCS,
	CMD_SHOW_CHECKPOINTS,
	CMD_SHOW_HEARTBEATS,
	CMD_TRANSLATE_OFFSET,
	CMD_TRANSLATE_GROUP,
	CMD_PAUSE_FLOW,
	CMD_RESUME_FLOW,
	CMD_RESUME_PARTITION,
	CMD_FAILOVER,
	CMD_FAILBACK,
	CMD_RESET_OFFSETS,
	CMD_CONFIGURE,
	CMD_CFG_SET,
	CMD_CFG_DELETE,
	CMD_CFG_SHOW,
	CMD_CFG_COMPARE,
	CMD_CFG_COMMIT,
	CMD_CFG_ROLLBACK,
	CMD_CFG_EXIT,
	CMD_CFG_DISCARD,
	CMD__COUNT
};

enum arg_kind {
	ARG_KEYWORD = 0,
	ARG_FLOW,
	ARG_CLUSTER,
	ARG_TOPIC,
	ARG_GROUP,
	ARG_KEY,       /* a configuration key (MM2 syntax) */
	ARG_VALUE,     /* rest of the line */
	ARG_TEXT,      /* rest of the line, free text */
	ARG_REVISION,  /* a positive integer */
	ARG_COUNT,     /* a positive integer */
	ARG_REGEX,     /* a Java regular expression (whole-name match) */
	ARG_DATETIME,  /* ISO 8601 (2026-11-22T10:00:00Z) or epoch milliseconds */
	ARG_PARTITION, /* a partition number: 0 or more */
	ARG_POSITION,  /* earliest, latest, or an offset (0 or more) */
	ARG_DATE,      /* a UTC day, YYYY-MM-DD */
	ARG_OFFSET,    /* an offset: 0 or more */
	ARG_ID,        /* an audit entry's id: 0 or more */
};

enum cmd_mode { MODE_EXEC = 1, MODE_CONFIG = 2 };

enum cmd_flags {
	CMDF_LOCAL = 1 << 0, /* handled by the shell itself */
};

struct cmd_tok {
	char word[24]; /* keyword, or the argument's name ("FLOW") */
	enum arg_kind kind;
	int optional;
	const char *help; /* this token's help line (help_len bytes, not NUL-ended) */
	int help_len;
};

#define CMD_MAX_TOKENS 10

struct cmd_def {
	enum cmd_id id;
	const char *syntax;
	const char *help; /* one line per token, '\n'-separated */
	enum acl_role role;
	unsigned modes;
	unsigned flags;
	const char *doc; /* what it does, for `help COMMAND` and ferry(1) */
	/* filled by cmdtab_init() */
	struct cmd_tok tok[CMD_MAX_TOKENS];
	size_t ntok;
	/* its own one-line description: the help of its first token that no
	 * other command shares (show lag: "Per-partition replication lag",
	 * not show's "Show running system information"); summary_len bytes */
	const char *summary;
	int summary_len;
};

/* Parses the grammar strings once; safe to call from any thread. */
void cmdtab_init(void);
const struct cmd_def *cmdtab_all(size_t *n);
const struct cmd_def *cmdtab_get(enum cmd_id id);
const char *arg_kind_name(enum arg_kind k);

/* Splits LINE into words; "|" is always a word of its own. The caller
 * frees with cmdtab_free_words(). Returns the count, or -1 (unbalanced
 * quote: err says so). */
int cmdtab_split(const char *line, char ***words, char *err, size_t errsz);
void cmdtab_free_words(char **words, int n);

#define CMD_MAX_ARGS 6

struct cmd_match {
	const struct cmd_def *def;
	char *args[CMD_MAX_ARGS]; /* values of the argument tokens, in order (NULL: absent) */
	size_t nargs;
	unsigned present; /* bit i: token i (an optional keyword) was given */
};

/* 1 when the optional keyword WORD was given. */
int cmdtab_flag(const struct cmd_match *m, const char *word);

/* POSITION: earliest (-2), latest (-1) or an offset; 0 or -1. */
int cmdtab_parse_position(const char *s, long long *out);

/* DATETIME: ISO 8601 with a zone (Z or +HH:MM) or epoch milliseconds; 0 or -1. */
int cmdtab_parse_datetime(const char *s, long long *ms);

/* DATE: a real calendar day YYYY-MM-DD; 0 or -1. */
int cmdtab_parse_date(const char *s);

enum match_rc { MATCH_OK, MATCH_UNKNOWN, MATCH_AMBIGUOUS, MATCH_INCOMPLETE, MATCH_BAD_ARG };

/*
 * Matches WORDS against the commands valid in MODE. On MATCH_OK, *m holds
 * the command and its arguments (free with cmdtab_match_free()); otherwise
 * err is a message for the user naming the word at fault and, where one is
 * close, a suggestion.
 */
enum match_rc cmdtab_match(char **words, int n, unsigned mode, struct cmd_match *m, char *err,
			   size_t errsz);
void cmdtab_match_free(struct cmd_match *m);

/* What may come after WORDS (complete) starting with PARTIAL: for `?` help
 * and completion. An entry with word NULL and kind ARG_KEYWORD means the
 * command may end here (<cr>). Returns the number written (<= max). */
struct cmd_next {
	const char *word;
	enum arg_kind kind;
	const char *help;
	int help_len;
};
size_t cmdtab_next(char **words, int n, const char *partial, unsigned mode, struct cmd_next *out,
		   size_t max);

#endif
