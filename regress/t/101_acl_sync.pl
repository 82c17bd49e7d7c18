# 101_acl_sync: sync.topic.acls.* against real brokers with StandardAuthorizer
# and SASL/PLAIN users (A and B), and one without an authorizer (C).
#
# ferryd connects to A and B as the super user `ferry` over SASL_PLAINTEXT;
# the harness and kt use the PLAINTEXT listeners, whose principal
# (User:ANONYMOUS, also the controller's) is a super user too, so they can
# set ACLs up. Everyone else needs a binding: allow.everyone.if.no.acl.found
# is false. Checked with real clients authenticated as the users:
#   - alice, allowed to read orders on A, reads A.orders on B (the records
#     ferry mirrored) and cannot write it (ALLOW WRITE is not copied);
#   - bob, allowed by a PREFIXED binding on "order" and denied READ on
#     orders, reads A.order-lines on B and is refused A.orders (DENY copied,
#     prefix mapped to A.order);
#   - ALLOW ALL becomes ALLOW READ; a GROUP binding of a synced group is
#     copied (alice commits offsets of app-1 on B), one of an excluded group
#     is not;
#   - exactly the expected bindings are on B, and the state store records
#     only those ferry created (not one that was there before);
#   - a binding removed at the source disappears from B (alice can no longer
#     read), while one created by hand on B stays, also when it is identical
#     to one ferry would create and its source binding goes;
#   - audit entries and metrics count what was created and removed; a log
#     line per round;
#   - C->B: C has no authorizer, the skip is logged once, not every round;
#   - `commit` of sync.topic.acls.enabled takes effect without a restart.
use strict;
use warnings FATAL => 'all';

use HTTP::Tiny;
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my %users = (ferry => 'ferry-secret', alice => 'alice-pw', bob => 'bob-pw', dave => 'dave-pw');
my %authz = (
	'authorizer.class.name' => 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
	# the PLAINTEXT listeners (harness, inter-broker) and the controller
	# listener authenticate nobody: their principal is User:ANONYMOUS
	'super.users' => 'User:ANONYMOUS;User:ferry',
	'allow.everyone.if.no.acl.found' => 'false',
);
my $A = Ferry::Test::Kafka->new(name => 'A', extra_props => {%authz},
	secure => { protocol => 'SASL_PLAINTEXT', users => {%users} });
my $B = Ferry::Test::Kafka->new(name => 'B', extra_props => {%authz},
	secure => { protocol => 'SASL_PLAINTEXT', users => {%users} });
my $C = Ferry::Test::Kafka->new(name => 'C');
$_->start(wait => 0) for ($A, $B, $C);
$_->wait_ready for ($A, $B, $C);

# kt as a SASL user against a cluster's secured listener
sub kt_as
{
	my ($cluster, $user, @args) = @_;
	my ($rc, $out, $err) = run_cmd(
		[
			Ferry::Test::Kafka::kt_path(), '-b', $cluster->secure_bootstrap,
			'-X', 'security.protocol=sasl_plaintext', '-X', 'sasl.mechanisms=PLAIN',
			'-X', "sasl.username=$user", '-X', "sasl.password=$users{$user}", @args
		],
		timeout => 120);
	die "kt: sanitizer report:\n$err" if $err =~ /ERROR: \w+Sanitizer|runtime error:/;
	return ($rc, $out, $err);
}

sub acl_add { my $k = shift; $k->kt('acl-add', @_); return; }
sub acl_del { my $k = shift; $k->kt('acl-del', @_); return; }

# the bindings of a cluster, as kt acl-list prints them (sorted lines)
sub acls
{
	my ($k) = @_;
	my ($rc, $out, $err) = $k->kt_result('acl-list');
	die "acl-list on " . $k->name . ": $err" if $rc;
	return $out;
}

$A->create_topic($_, 1) for qw(orders order-lines payments);
$A->produce('orders', count => 10);
$A->produce('order-lines', count => 5);
$C->create_topic('events', 1);

# --- bindings at the source ---
acl_add($A, qw(topic orders literal User:alice * read allow));
acl_add($A, qw(topic orders literal User:alice * write allow));     # never copied
acl_add($A, qw(topic payments literal User:bob * all allow));       # becomes READ
acl_add($A, qw(topic order prefixed User:bob * read allow));        # prefix -> A.order
acl_add($A, qw(topic orders literal User:bob * read deny));         # DENY copied
acl_add($A, qw(group app-1 literal User:alice * read allow));       # synced group
acl_add($A, qw(group console-consumer-1 literal User:alice * read allow));   # excluded
acl_add($A, qw(cluster kafka-cluster literal User:alice * describe allow));  # not copied
# --- by hand on B, before ferry: identical to what ferry would create
# from bob's ALL on payments, and one of its own ---
acl_add($B, qw(topic A.payments literal User:bob * read allow));
acl_add($B, qw(topic A.orders literal User:dave * read allow));

my $f = Ferry::Test::Ferryd->new(
	name => 'acl',
	config => "clusters = A, B, C\n"
	  . "A.bootstrap.servers = " . $A->secure_bootstrap . "\n"
	  . "B.bootstrap.servers = " . $B->secure_bootstrap . "\n"
	  . "C.bootstrap.servers = " . $C->bootstrap . "\n"
	  . join('', map {
		"$_.security.protocol = SASL_PLAINTEXT\n$_.sasl.mechanism = PLAIN\n"
		  . "$_.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule"
		  . " required username=\"ferry\" password=\"$users{ferry}\";\n"
	  } qw(A B))
	  . "A->B.enabled = true\nC->B.enabled = true\n"
	  . "replication.factor = 1\n"
	  . "heartbeats.topic.replication.factor = 1\n"
	  . "checkpoints.topic.replication.factor = 1\n"
	  . "offset-syncs.topic.replication.factor = 1\n"
	  . "emit.heartbeats.enabled = false\n"
	  . "ferry.canary.enabled = false\n"
	  . "sync.topic.acls.interval.seconds = 2\n");
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'A->B running');
ok(wait_count($B, 'A.orders', 10, 120), 'orders mirrored to A.orders');
ok(wait_count($B, 'A.order-lines', 5, 120), 'order-lines mirrored');

my $want = join('', map { "$_\n" } sort
	  "GROUP\tapp-1\tLITERAL\tUser:alice\t*\tREAD\tALLOW",
	  "TOPIC\tA.order\tPREFIXED\tUser:bob\t*\tREAD\tALLOW",
	  "TOPIC\tA.orders\tLITERAL\tUser:alice\t*\tREAD\tALLOW",
	  "TOPIC\tA.orders\tLITERAL\tUser:bob\t*\tREAD\tDENY",
	  "TOPIC\tA.orders\tLITERAL\tUser:dave\t*\tREAD\tALLOW",
	  "TOPIC\tA.payments\tLITERAL\tUser:bob\t*\tREAD\tALLOW");
my $got = '';
ok(poll_until(sub { ($got = acls($B)) eq $want }, 60, 'the bindings on B'),
	'B holds exactly the copied bindings and the two made by hand')
  or diag("got:\n$got\nwant:\n$want");
ok($f->wait_for_log(qr/A->B: ACL sync: 8 bindings on A, 5 copied, 3 not; 5 on B: 4 created, 0 removed, 1 already there and not ferry's, 0 failed/, 30),
	'the round is logged with its counts');

# what ferry recorded: what it created, not the binding that was there before
sub recorded
{
	my ($rc, $out, $err) = run_cmd([ 'sqlite3', '-separator', "\t", $f->state_dir . '/ferry.db',
		'SELECT flow, cluster, resource_type, name, pattern_type, principal, host, operation, '
		  . 'permission FROM acl_bindings ORDER BY 1, 3, 4, 5, 6, 8, 9' ]);
	die "sqlite3: $err" if $rc;
	return $out;
}
is(recorded(),
	"A->B\tB\tGROUP\tapp-1\tLITERAL\tUser:alice\t*\tREAD\tALLOW\n"
	  . "A->B\tB\tTOPIC\tA.order\tPREFIXED\tUser:bob\t*\tREAD\tALLOW\n"
	  . "A->B\tB\tTOPIC\tA.orders\tLITERAL\tUser:alice\t*\tREAD\tALLOW\n"
	  . "A->B\tB\tTOPIC\tA.orders\tLITERAL\tUser:bob\t*\tREAD\tDENY\n",
	'the state store records the four bindings ferry created, not the one made by hand');

# --- real clients as the users ---
my ($rc, $out, $err) = kt_as($B, 'alice', 'dump', 'A.orders', '--timeout', 30);
is($rc, 0, 'alice reads A.orders on B') or diag($err);
is(scalar(() = $out =~ /^0\t\d+\t/mg), 10, 'all 10 mirrored records');
($rc, $out, $err) = kt_as($B, 'alice', 'put', 'A.orders', '--value', 'not-allowed');
isnt($rc, 0, 'alice cannot write A.orders on B (ALLOW WRITE not copied)');
like($err, qr/authoriz/i, 'refused by the authorizer') or diag($err);
($rc, $out, $err) = kt_as($A, 'alice', 'put', 'orders', '--value', 'allowed-at-the-source');
is($rc, 0, 'while she may write orders on A') or diag($err);
($rc, $out, $err) = kt_as($B, 'bob', 'dump', 'A.order-lines', '--timeout', 30);
is($rc, 0, 'bob reads A.order-lines on B through the copied prefix') or diag($err);
is(scalar(() = $out =~ /^0\t\d+\t/mg), 5, 'all 5 records');
($rc, $out, $err) = kt_as($B, 'bob', 'dump', 'A.orders', '--timeout', 20);
isnt($rc, 0, 'bob is refused A.orders on B: the DENY was copied');
like($err, qr/authoriz/i, 'by the authorizer') or diag($err);
($rc, $out, $err) = kt_as($B, 'alice', 'group-commit', 'app-1', 'A.orders', 0, 5);
is($rc, 0, 'alice commits offsets of group app-1 on B (GROUP binding copied)') or diag($err);
($rc, $out, $err) = kt_as($B, 'alice', 'group-commit', 'app-2', 'A.orders', 0, 5);
isnt($rc, 0, 'but not of group app-2, which has no binding');

# --- C has no authorizer: one info line, not one per round ---
my $pos = $f->log_position;
ok($f->wait_for_log(qr/A->B: ACL sync: /, 30, $pos), 'another round');
$pos = $f->wait_for_log(qr/A->B: ACL sync: /, 30, $pos) // 0;
ok($f->wait_for_log(qr/A->B: ACL sync: /, 30, $pos), 'and another');
my @skips = $f->log =~ /C->B: ACL sync skipped: C has no authorizer/g;
is(scalar(@skips), 1, 'C->B: the skip for C is logged once over several rounds');
unlike($f->log, qr/C->B: ACL sync: \d/, 'and C->B never ran a round');

# --- removed at the source: removed from B; made by hand: stays ---
acl_del($A, qw(topic orders literal User:alice * read allow));
acl_del($A, qw(topic payments literal User:bob * all allow));
$want =~ s/^TOPIC\tA\.orders\tLITERAL\tUser:alice\t\*\tREAD\tALLOW\n//m or die;
ok(poll_until(sub { ($got = acls($B)) eq $want }, 60, 'the binding to go'),
	"alice's binding is gone from B; dave's and bob's payments (made by hand) stay")
  or diag("got:\n$got\nwant:\n$want");
ok(poll_until(sub { (kt_as($B, 'alice', 'dump', 'A.orders', '--timeout', 10))[0] != 0 }, 30,
	'alice to be refused'), 'alice can no longer read A.orders on B');
is(recorded(),
	"A->B\tB\tGROUP\tapp-1\tLITERAL\tUser:alice\t*\tREAD\tALLOW\n"
	  . "A->B\tB\tTOPIC\tA.order\tPREFIXED\tUser:bob\t*\tREAD\tALLOW\n"
	  . "A->B\tB\tTOPIC\tA.orders\tLITERAL\tUser:bob\t*\tREAD\tDENY\n",
	'and its record is gone');
ok($f->wait_for_log(qr/A->B: ACL sync: 6 bindings on A, 3 copied, 3 not; 3 on B: 0 created, 0 removed, 0 already there and not ferry's, 0 failed/, 30),
	'later rounds find nothing to do');

# --- audit trail and metrics ---
($rc, $out, $err) = $f->ferry('show', 'audit', '200');
is($rc, 0, 'show audit') or diag($err);
is(scalar(() = $out =~ /A->B: ACL binding created on B: /g), 4, 'four creations audited');
like($out, qr/A->B: ACL binding created on B: TOPIC A\.orders LITERAL User:bob\@\* READ DENY/,
	'naming the binding');
is(scalar(() = $out =~ /A->B: ACL binding removed from B \(gone at A\): TOPIC A\.orders LITERAL User:alice\@\* READ ALLOW/g),
	1, 'the removal audited');
my $m = HTTP::Tiny->new(timeout => 10)->get($f->metrics_url)->{content};
like($m, qr/^ferry_acl_bindings_created_total\{flow="A->B"[^}]*\} 4$/m, 'created: 4');
like($m, qr/^ferry_acl_bindings_removed_total\{flow="A->B"[^}]*\} 1$/m, 'removed: 1');
like($m, qr/^ferry_acl_sync_failures_total\{flow="A->B"[^}]*\} 0$/m, 'no failures');

# --- commit: off, then on again, without restarting ferryd ---
my $pid = $f->pid;
$pos = $f->log_position;
sub commit
{
	my $script = "configure\n" . join('', map { "set $_\n" } @_) . "commit\nexit discard\n";
	return $f->ferry({ stdin => $script }, '-e');
}
($rc, $out, $err) = commit('A->B.sync.topic.acls.enabled false');
is($rc, 0, 'commit sync.topic.acls.enabled false') or diag("$out$err");
ok($f->wait_for_log(qr/A->B: running/, 60, $pos), 'A->B restarted with the new setting');
acl_add($A, qw(topic order-lines literal User:dave * describe allow));
$pos = $f->log_position;
sleep 5;    # more than two intervals
unlike(substr($f->log, $pos), qr/A->B: ACL sync: /, 'no round while disabled');
unlike(acls($B), qr/A\.order-lines/, 'and the new binding is not copied');
($rc, $out, $err) = commit('A->B.sync.topic.acls.enabled true', 'A->B.sync.topic.acls.interval.seconds 1');
is($rc, 0, 'commit it back on, every second') or diag("$out$err");
ok(poll_until(sub { acls($B) =~ /^TOPIC\tA\.order-lines\tLITERAL\tUser:dave\t\*\tDESCRIBE\tALLOW$/m },
	30, 'the new binding on B'), 'copied once enabled again');
is($f->pid, $pid, 'ferryd was never restarted');

# --- a source that refuses DescribeAcls: ferry's admin principal there
# (dave) may describe A's configs, topics and groups but not the cluster.
# librdkafka 2.0.2 drops the CLUSTER_AUTHORIZATION_FAILED and answers an
# empty list, which must not read as "every binding is gone at A" ---
acl_add($A, qw(cluster kafka-cluster literal User:dave * describe_configs allow));
acl_add($A, qw(topic * literal User:dave * describe allow));
acl_add($A, qw(group * literal User:dave * describe allow));
$pos = $f->log_position;
ok($f->wait_for_log(qr/A->B: ACL sync: \d+ bindings on A, .* 0 created, 0 removed/, 30, $pos),
	'a quiet round with the new bindings at A');
my $before = acls($B);
my $recorded_before = recorded();
like($recorded_before, qr/TOPIC\tA\.order\tPREFIXED/, 'ferry has bindings on record');
$pos = $f->log_position;
($rc, $out, $err) = commit('A.admin.sasl.jaas.config \'org.apache.kafka.common.security.plain.PlainLoginModule'
	  . ' required username="dave" password="dave-pw";\'');
is($rc, 0, "commit: A's admin client is dave") or diag("$out$err");
ok($f->wait_for_log(qr/A->B: ACL sync: the source answered no ACL binding at all while ferry has \d+ bindings on record for B; .*nothing is removed/, 60, $pos),
	'the empty answer of A is said, and not acted upon');
$pos = $f->log_position;
ok($f->wait_for_log(qr/A->B: ACL sync: the source answered no ACL binding at all/, 30, $pos), 'also a round later');
is(acls($B), $before, "every binding on B stays, ferry's included");
is(recorded(), $recorded_before, 'and so do its records');

is($f->stop, 0, 'ferryd exits 0 on SIGTERM');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
