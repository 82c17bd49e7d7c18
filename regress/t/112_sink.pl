# 112_sink: the history sink delivers ferryd's audit trail, offset syncs,
# transfer ledger, configuration revisions, cluster and rule snapshots,
# placement decisions and the retention in force on the remote topics (as
# the target says, first and changed values only) to PostgreSQL exactly
# once. A real ferryd mirrors A->B
# between real Kafka clusters into a real PostgreSQL 15 (the ferry
# extension's tables, a role with nothing but EXECUTE on
# ferry.sink_apply). Then: PostgreSQL stopped while ferryd mirrors and
# commits (events wait: show sink and the metric say pending > 0),
# restarted: every audit event and offset sync is there once, compared
# with SQLite row by row. ferryd killed -9 in the middle of a long backlog,
# restarted: still exactly once. PostgreSQL SIGSTOPped: ferryd still stops
# within seconds. A conninfo with a password is refused. The state store
# rewound (its newest audit entries deleted): the entries ferryd writes
# next reuse those ids and are kept in ferry.audit_conflict, ferryd logs
# PostgreSQL's warning, ferry.audit_verify() names the first such id.
use strict;
use warnings FATAL => 'all';

use HTTP::Tiny;
use JSON::PP;
use Test::More;
use Time::HiRes ();

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Pg;
use Ferry::Test::Utils;

plan skip_all => 'PostgreSQL 15 is not installed (make deps)' unless Ferry::Test::Pg::available();

my $pg = Ferry::Test::Pg->new(name => 'pg');
$pg->start;
$pg->psql('CREATE DATABASE hist');
$pg->psql(
	"CREATE EXTENSION ferry;
	 CREATE ROLE ferry_sink LOGIN;
	 GRANT USAGE ON SCHEMA ferry TO ferry_sink;
	 GRANT EXECUTE ON FUNCTION ferry.sink_apply(text) TO ferry_sink;",
	dbname => 'hist');

my ($A, $B) = Ferry::Test::Kafka->start_clusters('A', 'B');
$A->create_topic('orders', 2);
$A->create_topic('customers-eu', 1);
$A->produce('orders', count => 200, size => 50);
$A->produce('customers-eu', count => 20, size => 50);

my $conninfo = $pg->connstr(user => 'ferry_sink', dbname => 'hist');
my $f = Ferry::Test::Ferryd->new(
	name => 'sink',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "A->B.topics = orders, customers-.*\n"
		  . "refresh.topics.interval.seconds = 2\n"
		  . "ferry.appliance.name = app1\n"
		  . "ferry.positions.flush.interval.ms = 200\n"
		  . "ferry.canary.enabled = false\n"
		  . "A.ferry.labels = region=eu, jurisdiction=de\n"
		  . "B.ferry.labels = region=us\n"
		  . "ferry.placement.rules = pii\n"
		  . "ferry.placement.pii.topics = customers-.*\n"
		  . "ferry.placement.pii.require = region=eu\n"
		  . "ferry.placement.pii.category = personal-data\n"
		  . "ferry.placement.pii.basis = GDPR Art. 44\n"
		  . "ferry.sink.conninfo = $conninfo\n"
		  . "ferry.sink.batch.size = 25\n"
		  . "ferry.sink.interval.ms = 100\n"
		  . "sync.topic.configs.interval.seconds = 2\n"
		  . "B.topic.overrides.retention.ms = 259200000\n"));
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'A->B running');
ok(wait_count($B, 'A.orders', 200), 'orders mirrored to B');

sub ferry_json
{
	my ($rc, $out, $err) = $f->ferry(@_, '|', 'json');
	die "ferry @_: $err" if $rc != 0;
	return decode_json($out)->{result};
}

# show sink as { column => value }
sub show_sink
{
	my $res = ferry_json('show', 'sink');
	my %h;
	@h{ @{ $res->{columns} } } = @{ $res->{rows}[0] };
	return \%h;
}

sub sqlite
{
	my ($sql) = @_;
	my ($rc, $out, $err) =
	  run_cmd([ 'sqlite3', '-cmd', '.timeout 5000', $f->state_dir . '/ferry.db', $sql ]);
	die "sqlite3: $err" if $rc != 0;
	return $out;
}

sub pgq { return $pg->psql($_[0], dbname => 'hist'); }

my $audit_sql = 'SELECT id, action, result FROM audit ORDER BY id';
my $audit_pg = "SELECT id, action, result FROM ferry.audit_event WHERE appliance = 'app1' ORDER BY id";
my $syncs_sql = 'SELECT flow, topic, partition, upstream, downstream FROM offset_syncs '
  . 'ORDER BY flow, topic, partition, downstream';
my $syncs_pg = 'SELECT flow, topic, partition, upstream, downstream FROM ferry.offset_sync_history '
  . "WHERE appliance = 'app1' ORDER BY flow, topic, partition, downstream";

# waits until nothing is pending and PostgreSQL holds what SQLite holds
sub wait_delivered
{
	my ($what) = @_;
	my $last = '';
	my $ok = poll_until(
		sub {
			# not through the control socket: each request is audited,
			# so asking would always leave an event pending
			$last = 'pending ' . sqlite('SELECT count(*) FROM sink_outbox');
			return 0 unless $last eq "pending 0\n";
			return sqlite($audit_sql) eq pgq($audit_pg) && sqlite($syncs_sql) eq pgq($syncs_pg);
		},
		120,
		"the sink to deliver $what ($last)");
	ok($ok, "$what: delivered, nothing pending");
	return $ok;
}

# exactly once: the same rows as SQLite, by id and by natural key, none twice
sub exactly_once
{
	my ($what) = @_;
	my $n_audit = sqlite('SELECT count(*) FROM audit') + 0;
	ok($n_audit > 0, "$what: SQLite has $n_audit audit entries");
	is(pgq($audit_pg), sqlite($audit_sql), "$what: every audit entry in PostgreSQL, as in SQLite");
	is(pgq("SELECT count(*), count(DISTINCT id), count(DISTINCT event_id) FROM ferry.audit_event"),
		"$n_audit|$n_audit|$n_audit\n", "$what: $n_audit audit rows, none twice (by id and by event id)");
	my $n_sync = sqlite('SELECT count(*) FROM offset_syncs') + 0;
	ok($n_sync > 0, "$what: SQLite has $n_sync offset syncs");
	is(pgq($syncs_pg), sqlite($syncs_sql), "$what: every offset sync in PostgreSQL, as in SQLite");
	is(pgq("SELECT count(*), count(DISTINCT (flow, topic, partition, upstream, downstream)), "
		  . "count(DISTINCT event_id) FROM ferry.offset_sync_history"),
		"$n_sync|$n_sync|$n_sync\n", "$what: $n_sync offset syncs, none twice");
	# the ledger grows with every save while records arrive: the same sum
	# once the sink has sent the newest state of each row
	my ($pgsum, $sqsum) = ('', '');
	ok(poll_until(
			sub {
				$sqsum = sqlite('SELECT sum(records) FROM transfers WHERE partition >= 0');
				$pgsum = pgq('SELECT sum(records) FROM ferry.transfer WHERE partition >= 0');
				return $pgsum eq $sqsum;
			},
			30,
			'the ledger'),
		"$what: the transfer ledger's records as in SQLite") or diag("pg $pgsum sqlite $sqsum");
	my $cursor = pgq("SELECT event_id FROM ferry.sink_cursor WHERE appliance = 'app1'") + 0;
	# ferryd goes on making events (the ledger of each save): what the
	# outbox may hold is only what PostgreSQL has not got yet
	ok(poll_until(sub { sqlite("SELECT count(*) FROM sink_outbox WHERE id <= $cursor") == 0 },
			10, 'delivered events deleted'),
		"$what: no event PostgreSQL holds (up to $cursor) is left in the outbox");
	my $shown = show_sink()->{'delivered up to'};
	my $after = pgq("SELECT event_id FROM ferry.sink_cursor WHERE appliance = 'app1'") + 0;
	ok(defined $shown && $shown >= $cursor && $shown <= $after,
		"$what: show sink's delivered up to is PostgreSQL's cursor ($cursor <= "
		  . ($shown // 'null') . " <= $after)");
}

# --- events arrive ---
wait_delivered('at start');
exactly_once('at start');
is(pgq("SELECT cluster, labels->>'region', security_protocol FROM ferry.cluster_snapshot "
	  . "WHERE rev = 1 ORDER BY cluster"),
	"A|eu|PLAINTEXT\nB|us|PLAINTEXT\n", 'cluster snapshots of revision 1 with their labels');
is(pgq("SELECT rule, topics, requires, category, basis FROM ferry.rule_snapshot WHERE rev = 1"),
	"pii|customers-.*|region=eu|personal-data|GDPR Art. 44\n", 'the rule snapshot of revision 1');
is(pgq("SELECT rev, who FROM ferry.config_revision ORDER BY rev"), "1|ferryd\n", 'revision 1');
my $decisions = "SELECT topic, cluster, allowed, rule, category FROM ferry.placement_decision "
  . "WHERE topic IN ('orders', 'customers-eu') ORDER BY topic";
ok(poll_until(sub { pgq($decisions) =~ tr/\n// >= 2 }, 60, 'decisions'), 'placement decisions arrive');
is(pgq($decisions), "customers-eu|B|f|pii|personal-data\norders|B|t||\n",
	'one decision per topic: customers-eu blocked on B by pii, orders allowed');
ok(wait_rounds_quiet(), 'more discovery rounds');
wait_delivered('after more rounds');
is(pgq($decisions), "customers-eu|B|f|pii|personal-data\norders|B|t||\n",
	'a verdict that does not change makes no new decision');
is(pgq("SELECT count(*) FROM ferry.placement_decision"),
	sqlite('SELECT count(*) FROM placement_verdicts'), 'one decision per verdict in SQLite');

sub wait_rounds_quiet { return $f->wait_rounds('A->B', 2, 60); }

# --- the retention in force on the remote topic, as B says ---
my $ret_sql = 'SELECT cluster, topic, retention_ms FROM remote_retention ORDER BY cluster, topic';
my $ret_pg = 'SELECT cluster, topic, retention_ms FROM ferry.topic_retention '
  . "WHERE appliance = 'app1' ORDER BY cluster, topic, observed_at";
# waits until SQLite has recorded WANT as A.orders' retention on B
sub wait_retention
{
	my ($want) = @_;
	my $got = '';
	poll_until(
		sub {
			$got = sqlite("SELECT retention_ms FROM remote_retention WHERE cluster = 'B' "
				  . "AND topic = 'A.orders'");
			return $got eq "$want\n";
		},
		60,
		"A.orders' retention $want recorded");
	return $got;
}
is(wait_retention(259200000), "259200000\n", 'the topic config sync recorded A.orders\' retention on B');
is($B->topic_configs('A.orders')->{'retention.ms'}, '259200000',
	'what B says for A.orders (its override)');
wait_delivered('the retention');
ok(poll_until(sub { pgq($ret_pg) eq sqlite($ret_sql) }, 30, 'the retention in PostgreSQL'),
	'ferry.topic_retention as remote_retention in SQLite') or diag(pgq($ret_pg));
is(pgq("SELECT retention_ms, count(*) FROM ferry.topic_retention WHERE cluster = 'B' "
	  . "AND topic = 'A.orders' GROUP BY 1"), "259200000|1\n",
	'A.orders\' retention on B arrived once, though read every round');
is(pgq("SELECT flow, source_topic FROM ferry.topic_retention WHERE topic = 'A.orders'"),
	"A->B|orders\n", 'with the flow and source topic whose copy it is');

my $show = show_sink();
is($show->{state}, 'connected', 'show sink: connected');
like($show->{target}, qr/dbname=hist/, 'show sink: the target');
unlike($show->{target}, qr/password=(?!\*)/, 'show sink: no password in clear');

# --- PostgreSQL stopped: ferryd mirrors and commits; events wait ---
$pg->stop;
$A->produce('orders', count => 300, size => 50, start => 200);
ok(wait_count($B, 'A.orders', 500), 'mirroring goes on while PostgreSQL is down');

sub commit
{
	my (@sets) = @_;
	my $script = "configure\n" . join('', map { "set $_\n" } @sets) . "commit sink test\nexit discard\n";
	return $f->ferry({ stdin => $script }, '-e');
}
my ($rc, $out, $err) = commit('ferry.sink.batch.size 30');
is($rc, 0, 'a commit while PostgreSQL is down') or diag($out . $err);
($rc, $out, $err) = commit('B.ferry.labels region=us, tier=dr',
	'B.topic.overrides.retention.ms 86400000');
is($rc, 0, 'a second commit, B\'s retention override changed') or diag($out . $err);
is(wait_retention(86400000), "86400000\n", 'the changed retention recorded from B');
is($B->topic_configs('A.orders')->{'retention.ms'}, '86400000', 'what B says now');
$f->ferry('show', 'version') for 1 .. 5;

my $down;
ok(poll_until(sub { $down = show_sink(); $down->{state} ne 'connected' && $down->{pending} > 0 },
		60, 'show sink to say pending'),
	'show sink: events pending while PostgreSQL is down');
like($down->{state}, qr/^(unreachable|error|connecting)$/, "show sink: state $down->{state}");
ok(defined $down->{'last error'} && length $down->{'last error'}, 'show sink: the last error')
  or diag(explain($down));
like($down->{'oldest pending'} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
	'show sink: when the oldest pending event was made');
my $metrics = HTTP::Tiny->new(timeout => 30)->get($f->metrics_url)->{content} // '';
like($metrics, qr/^ferry_sink_pending_events\{appliance="app1"\} ([1-9]\d*)/m, 'metric: pending > 0');
like($metrics, qr/^ferry_sink_lag_seconds\{appliance="app1"\} [0-9.e+-]+/m, 'metric: lag seconds');
like($metrics, qr/^ferry_sink_errors_total\{appliance="app1"\} [1-9]/m, 'metric: errors counted');

# --- restarted: everything arrives, once ---
$pg->start;
wait_delivered('after PostgreSQL came back');
exactly_once('after PostgreSQL came back');
is(pgq("SELECT rev, who, comment FROM ferry.config_revision WHERE rev > 1 ORDER BY rev"),
	"2|root (uid 0)|sink test\n3|root (uid 0)|sink test\n",
	'the revisions committed while PostgreSQL was down');
is(pgq("SELECT labels->>'tier' FROM ferry.cluster_snapshot WHERE rev = 3 AND cluster = 'B'"),
	"dr\n", 'the snapshot of revision 3 has its new label');
is(pgq("SELECT retention_ms FROM ferry.topic_retention WHERE cluster = 'B' AND topic = 'A.orders' "
	  . 'ORDER BY observed_at'), "259200000\n86400000\n",
	'A.orders\' retention on B: the first value and the changed one, each once');
# the residency report's target retention: the latest before the window's end
is(pgq("SELECT DISTINCT target_retention_ms FROM ferry.residency_report(now() - interval '1 day', "
	  . "now() + interval '1 day') WHERE topic = 'orders'"), "86400000\n",
	'the residency report shows the retention in force on B');

# --- ferryd killed -9 in the middle of a backlog ---
($rc, $out, $err) = commit('ferry.sink.batch.size 10');
is($rc, 0, 'batches of 10: a backlog takes many') or diag($out . $err);
# each audit row takes PostgreSQL 10 ms for now, so that the backlog
# takes seconds and the kill below lands in its middle, not after it
pgq("CREATE FUNCTION public.slow_row() RETURNS trigger LANGUAGE plpgsql AS
	 \$\$ BEGIN PERFORM pg_sleep(0.01); RETURN NEW; END \$\$;
     CREATE TRIGGER slow BEFORE INSERT ON ferry.audit_event
	 FOR EACH ROW EXECUTE FUNCTION public.slow_row();");
my $before = pgq("SELECT event_id FROM ferry.sink_cursor WHERE appliance = 'app1'") + 0;
$pg->stop;
($rc, $out, $err) = $f->ferry({ stdin => "show version\n" x 1500 }, '-e');
is($rc, 0, '1500 audited commands while PostgreSQL is down') or diag($err);
ok(poll_until(sub { show_sink()->{pending} >= 1500 }, 30, 'the backlog'), 'a backlog of 1500+ events');
$pg->start;
my $mid;
ok(poll_until(
		sub {
			$mid = pgq("SELECT event_id FROM ferry.sink_cursor WHERE appliance = 'app1'") + 0;
			return $mid > $before;
		},
		60,
		'the first batches'),
	'some batches delivered');
# killed inside a batch or between two: what PostgreSQL did not commit
# is rolled back, what it did is not sent again
$f->signal('KILL');
$f->wait_exit(timeout => 30);
my $left = sqlite('SELECT count(*) FROM sink_outbox') + 0;
ok($left > 0, "killed in the middle: $left events still in the outbox (cursor $mid or more)");
pgq('DROP TRIGGER slow ON ferry.audit_event; DROP FUNCTION public.slow_row()');
$f->start;
ok($f->wait_control(60), 'ferryd restarted');
wait_delivered('after kill -9');
exactly_once('after kill -9');

# --- PostgreSQL SIGSTOPped: ferryd's stop is not held ---
$pg->pause;
$f->ferry('show', 'version') for 1 .. 3;
sleep 2;    # the sink is waiting on PostgreSQL by now
my $t0 = Time::HiRes::time();
$f->signal('TERM');
my $st = $f->wait_exit(timeout => 60);
my $took = Time::HiRes::time() - $t0;
is($st, 0, 'ferryd exits 0 with PostgreSQL stopped by SIGSTOP');
cmp_ok($took, '<', 15, sprintf('and within seconds (%.1f s)', $took));
$pg->resume;
$f->start;
ok($f->wait_control(60), 'ferryd restarted');
wait_delivered('after the SIGSTOP');
exactly_once('after the SIGSTOP');

# --- a password in the conninfo is refused ---
($rc, $out, $err) = commit("ferry.sink.conninfo $conninfo password=secret");
like($out . $err, qr/ferry\.sink\.conninfo.*password is not accepted/,
	'a conninfo with a password is refused, naming the key');
(undef, $out) = $f->ferry('show', 'config');
unlike($out, qr/secret/, 'show config never shows it');
is(show_sink()->{state}, 'connected', 'the sink runs on as before');

# --- the state store rewound (its newest audit entries deleted): ferryd
# numbers new entries with ids PostgreSQL holds; none is dropped ---
$f->signal('TERM');
is($f->wait_exit(timeout => 60), 0, 'ferryd exits 0');
# (the entry of the stop itself may not have reached PostgreSQL: it is
# in the outbox, and follows when ferryd is back)
my $top = pgq("SELECT max(id) FROM ferry.audit_event WHERE appliance = 'app1'") + 0;
cmp_ok($top, '>', 3, "PostgreSQL holds the audit trail up to id $top");
sqlite('DELETE FROM audit WHERE id > ' . ($top - 3));
$f->start;
ok($f->wait_control(60), 'ferryd restarted on the rewound store');
$f->ferry('show', 'version') for 1 .. 3;
my $first = $top - 2;
ok(poll_until(sub { pgq("SELECT count(DISTINCT id) FROM ferry.audit_conflict WHERE appliance = 'app1' "
			  . "AND id BETWEEN $first AND $top") + 0 == 3 }, 60, 'conflicts'),
	"the new entries $first to $top are kept in ferry.audit_conflict");
is(pgq("SELECT count(*) FROM ferry.audit_conflict c JOIN ferry.audit_event e USING (appliance, id) "
	  . "WHERE c.existing_hash = e.hash AND c.incoming_hash = c.incoming->>'hash' "
	  . "AND c.incoming_hash <> e.hash AND c.id = $first"),
	"1\n", 'each beside the entry that came first, with both hashes');
is(pgq("SELECT result || ' ' || problem FROM ferry.audit_verify('app1')"),
	"broken conflict: id $first arrived again with other content (the state store was rewound or replaced)\n",
	'ferry.audit_verify() names the first reused id');
ok($f->wait_for_log(qr/sink: PostgreSQL: ferry\.sink_apply: \d+ audit event\(s\) of appliance app1 reused an id with other content/, 30),
	'ferryd logs PostgreSQL\'s warning');

$f->signal('TERM');
is($f->wait_exit(timeout => 60), 0, 'ferryd exits 0');
is(scalar($f->sanitizer_reports), 0, 'no sanitizer reports');
$pg->stop;
done_testing();
