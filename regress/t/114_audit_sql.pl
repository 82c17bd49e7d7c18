# 114_audit_sql: the audit chain and the compliance reports in SQL.
#
#  (a) pg_regress (pgext/sql-tests/audit_verify.sql, reports.sql, with
#      pgext/expected/): ferry.audit_verify() over a chain ferryd wrote
#      names edited, moved, rehashed and deleted entries; the residency and
#      change reports over fixture rows of the sink's tables, their evidence
#      hashes and privileges;
#  (b) live: a ferryd (no Kafka needed: no flow enabled) takes commands,
#      including a configuration commit; its whole audit trail, copied from
#      its state store into ferry.audit_event as the sink stores it,
#      verifies in SQL with the same result as `ferry audit verify`, and
#      SQL's ferry.audit_hash() recomputes every hash ferryd wrote; an
#      entry edited in PostgreSQL, then one deleted, is named by
#      ferry.audit_verify() as the shell would name it in SQLite.
use strict;
use warnings FATAL => 'all';

use JSON::PP ();
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Pg;
use Ferry::Test::Utils;

plan skip_all => 'PostgreSQL 15 is not installed (make deps)' unless Ferry::Test::Pg::available();

my $root = repo_root();
my $pg = Ferry::Test::Pg->new(name => 'pg');
$pg->start;

# (a)
{
	my $in = tmp_dir('regress_in');
	symlink("$root/pgext/sql-tests", "$in/sql") or die "symlink: $!";
	symlink("$root/pgext/expected", "$in/expected") or die "symlink: $!";
	my ($rc, $out, $err, $diffs) = $pg->pg_regress(inputdir => $in,
		tests => [ 'audit_verify', 'reports' ], dbname => 'ferry_audit_regress');
	is($rc, 0, 'pg_regress audit_verify reports') or diag("$out$err$diffs");
}

# (b)
my ($pa, $pb) = (free_port(), free_port());
my $f = Ferry::Test::Ferryd->new(name => 'chain',
	config => "clusters = A, B\nA.bootstrap.servers = localhost:$pa\n"
	  . "B.bootstrap.servers = localhost:$pb\nA->B.enabled = false\n"
	  . "replication.factor = 1\nemit.heartbeats.enabled = false\n");
$f->start;
$f->wait_control or BAIL_OUT('ferryd did not serve its control socket');
$f->ferry('show', 'flows');
$f->ferry({ stdin => "configure\nset ferry.placement.rules eu\n"
	  . "set ferry.placement.eu.topics kyc\\..*\nset ferry.placement.eu.require jurisdiction=EU\n"
	  . "set ferry.placement.eu.basis \"GDPR Art. 44, \xc3\xa9\"\ncommit \"eu rule\"\n" });
$f->ferry('pause', 'flow', 'A->B');
my ($rc, $out) = $f->ferry('audit', 'verify', '|', 'json');
my $shell = (eval { JSON::PP::decode_json($out) } // {})->{result}{rows}[0] // [];
is($shell->[0], 'ok', 'ferry audit verify: ok');
is($f->stop, 0, 'ferryd stopped');

# the rows as the sink stores them (ts from ts_ms, every text verbatim)
my $db = $f->state_dir . '/ferry.db';
($rc, $out, my $err) = run_cmd([ 'sqlite3', $db,
	"SELECT 'INSERT INTO ferry.audit_event (appliance, id, ts, ts_ms, who, role, origin, "
	  . "action, result, detail, prev_hash, hash, event_id) VALUES (''lab'', ' || id || "
	  . "', to_timestamp(0) + ' || ts_ms || ' * interval ''1 ms'', ' || ts_ms || ', ' || "
	  . "quote(who) || ', ' || quote(role) || ', ' || quote(origin) || ', ' || quote(action) "
	  . "|| ', ' || quote(result) || ', ' || quote(detail) || ', ' || quote(prev_hash) || "
	  . "', ' || quote(hash) || ', ' || id || ');' FROM audit ORDER BY id" ]);
is($rc, 0, 'audit trail read from SQLite') or diag($err);
my $n = () = $out =~ /^INSERT/mg;
cmp_ok($n, '>=', 8, "$n entries");
like($out, qr/'commit eu rule'/, 'a commit among them');
$pg->psql("CREATE EXTENSION ferry;\n$out");
is($pg->psql("SELECT result || ' ' || checked || ' ' || first_id || ' ' || last_id || ' ' || "
	  . "COALESCE(problem, '-') FROM ferry.audit_verify('lab')"),
	"ok $n 1 $n -\n", 'ferry.audit_verify(): the chain ferryd wrote is whole');
is($pg->psql('SELECT count(*) FROM ferry.audit_event WHERE hash = ferry.audit_hash(prev_hash, '
	  . 'id, ts_ms, who, role, origin, action, result, detail)'),
	"$n\n", 'ferry.audit_hash() recomputes each of the hashes ferryd wrote');

$pg->psql("UPDATE ferry.audit_event SET detail = 'nothing' WHERE id = 3");
is($pg->psql('SELECT problem FROM ferry.audit_verify()'),
	"hash mismatch: id 3 (the entry was changed after it was written)\n",
	'an entry edited in PostgreSQL is named');
run_cmd([ 'sqlite3', $db, "UPDATE audit SET detail = 'nothing' WHERE id = 3" ]);
($rc, $out) = run_cmd([ Ferry::Test::Ferryd::binary(), '--state-dir', $f->state_dir,
	'--verify-audit' ]);
like($out, qr/: hash mismatch: id 3 \(the entry was changed after it was written\)$/m,
	'... in the words ferryd uses for the same edit in SQLite');

$pg->psql("DELETE FROM ferry.audit_event WHERE id IN (2, 3)");
is($pg->psql('SELECT problem FROM ferry.audit_verify()'), "gap: ids 2 to 3 missing (deleted)\n",
	'deleted entries are named');

$pg->stop;
done_testing();
