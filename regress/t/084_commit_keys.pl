# 084_commit_keys: a `commit` applies every per-flow key, not only the
# filters: the canary, the checkpoint interval, group offset sync and
# ferry.mirror.read.uncommitted each restart the flow and change what
# reaches the target brokers. A candidate with an override that breaks
# ferry's guarantees (a finite delivery.timeout.ms, read_uncommitted without
# the ferry key, auto.offset.reset=none) is refused as a whole, naming
# line, key and why, and nothing of it is applied.
use strict;
use warnings FATAL => 'all';

use JSON::PP;
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my ($A, $B) = Ferry::Test::Kafka->start_clusters('A', 'B');
$A->create_topic('orders', 2);
$A->create_topic('tx', 1);
$A->produce('orders', count => 1000);

my $f = Ferry::Test::Ferryd->new(
	name => 'keys',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "A->B.topics = orders, tx\n"
		  . "refresh.topics.interval.seconds = 1\n"
		  . "ferry.canary.interval.ms = 300\n"
		  . "emit.checkpoints.interval.seconds = 3600\n"));
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'A->B running');
ok(wait_count($B, 'A.orders', 1000, 120), 'orders mirrored');
$A->group_commit('billing', 'orders', 0, 400);
$A->group_commit('billing', 'orders', 1, 100);

sub ferry { return $f->ferry(@_); }

# commit(@set lines) -> (exit, stdout, stderr) of one configure session
sub commit
{
	my (@sets) = @_;
	my $script = "configure\n" . join('', map { "set $_\n" } @sets) . "commit\nexit discard\n";
	return ferry({ stdin => $script }, '-e');
}

sub revisions
{
	my (undef, $out) = ferry('show', 'revisions');
	return scalar(() = $out =~ /^\d+\s/mg);
}

# --- the canary: off in the file, enabled by a commit ---
ok(!exists $A->topics->{'ferry-canary'}, 'no canary topic on A while the canary is off');
my ($rc, $out, $err) = commit('A->B.ferry.canary.enabled true');
is($rc, 0, 'commit ferry.canary.enabled') or diag($err);
like($out, qr/revision 2 applied; started: none; restarted: A->B; stopped: none/,
	'the flow restarts for a canary key');
ok(wait_count($B, 'A.ferry-canary', 3, 120), 'canary records go through the flow to B');
ok(poll_until(sub { (ferry('show', 'metrics'))[1] =~ /^canary-latency-ms\s+flow="A->B"\S*\s+\d+$/m },
		60, 'canary latency'), 'and their latency is measured');

# --- checkpoints: every hour in the file, every second after a commit ---
# (each start writes one round: 2 records for billing's 2 partitions)
ok(wait_count($B, 'A.checkpoints.internal', 2, 120), 'a checkpoint round at start');
my $before = count_or_zero($B, 'A.checkpoints.internal');
($rc, $out, $err) = commit('A->B.emit.checkpoints.interval.seconds 1');
is($rc, 0, 'commit emit.checkpoints.interval.seconds') or diag($err);
like($out, qr/restarted: A->B;/, 'the flow restarts for a checkpoint key');
# one restart alone writes one more round; ten more records take rounds
# every second
ok(wait_count($B, 'A.checkpoints.internal', $before + 10, 120),
	'checkpoints are written every second now');

# --- group offset sync: off by default, on after a commit ---
my $synced = sub { my $g = eval { $B->group_offsets('billing') } // {}; $g->{'A.orders'} // {} };
is_deeply($synced->(), {}, 'billing has no offsets on B while sync.group.offsets is off');
($rc, $out, $err) = commit('A->B.sync.group.offsets.enabled true',
	'A->B.sync.group.offsets.interval.seconds 1');
is($rc, 0, 'commit sync.group.offsets.enabled') or diag($err);
like($out, qr/restarted: A->B;/, 'the flow restarts for a group key');
ok(poll_until(sub { my $s = $synced->(); ($s->{0} // -1) == 400 && ($s->{1} // -1) == 100 }, 120,
		'billing synced'), 'billing is committed on B at the translated offsets 400 and 100')
  or diag(explain($synced->()));

# --- a candidate with overrides that break ferry's guarantees ---
my $revs = revisions();
my ($cfg_before) = (ferry('show', 'config'))[1];
my $pos = $f->log_position;
($rc, $out, $err) = commit('A->B.tasks.max 2', 'B.producer.delivery.timeout.ms 30000',
	'A.consumer.isolation.level read_uncommitted', 'A->B.consumer.auto.offset.reset none');
isnt($rc, 0, 'a candidate with unsafe overrides is refused');
like($err, qr/commit refused: the candidate has 3 errors; nothing changed/, 'as a whole');
like($err, qr/candidate:\d+: delivery\.timeout\.ms: delivery\.timeout\.ms=30000 would reorder records/,
	'delivery.timeout.ms: line, key and why');
like($err, qr/candidate:\d+: isolation\.level: isolation\.level=read_uncommitted would mirror the records of aborted transactions .*ferry\.mirror\.read\.uncommitted = true/,
	'isolation.level: line, key and the ferry key that allows it');
like($err, qr/candidate:\d+: auto\.offset\.reset: auto\.offset\.reset=none is not supported: ferry never resets a saved position/,
	'auto.offset.reset: line, key and why');
is(revisions(), $revs, 'no revision recorded');
is((ferry('show', 'config'))[1], $cfg_before, 'the running configuration is unchanged');
unlike(substr(slurp($f->log_file), $pos), qr/revision \d+ applied|A->B: running/,
	'nothing applied: tasks.max did not restart the flow');
like((ferry('show', 'flows'))[1], qr/^A->B\s+running\s/m, 'A->B runs on');

# --- misspelt keys: refused naming the key meant, nothing applied ---
# (left as a warning, A->B.topcis would have been ignored and the flow
# would have gone on mirroring orders and tx, whatever was meant)
$revs = revisions();
($cfg_before) = (ferry('show', 'config'))[1];
$pos = $f->log_position;
($rc, $out, $err) = commit('A->B.tasks.max 2', 'A->B.topcis orders', 'B.producer.lingr.ms 5');
isnt($rc, 0, 'a candidate with misspelt keys is refused');
like($err, qr/commit refused: the candidate has 2 errors; nothing changed/, 'as a whole');
like($err, qr/candidate:\d+: A->B\.topcis: unknown flow setting "topcis"; did you mean A->B\.topics\?/,
	'a misspelt flow key: line, key and the key meant');
like($err, qr/candidate:\d+: B\.producer\.lingr\.ms: unknown producer setting "lingr\.ms"; did you mean B\.producer\.linger\.ms\?/,
	'a misspelt client key: line, key and the key meant');
is(revisions(), $revs, 'no revision recorded');
is((ferry('show', 'config'))[1], $cfg_before, 'the running configuration is unchanged');
unlike(substr(slurp($f->log_file), $pos), qr/revision \d+ applied|A->B: running/,
	'nothing applied: the flow did not restart');
like((ferry('show', 'flows'))[1], qr/^A->B\s+running\s/m, 'A->B runs on');

# --- aborted records: committed ones only, until the ferry key says so ---
# (transactions of 100 records, every second one aborted; plain records
# after them, so that the flow's position is past the batch when it restarts)
my $ab1 = $A->produce('tx', count => 400, start => 0, transactional_id => 'tx-1', abort_every => 2);
is(scalar @$ab1, 200, 'two transactions of four aborted');
$A->produce('tx', count => 5, start => 400);
ok(poll_until(sub { $B->seqcheck('A.tx', count => 405, exclude => $ab1)->{records} >= 405 - @$ab1 },
		120, 'tx mirrored'), 'the committed records of tx are mirrored');
my $r = $B->seqcheck('A.tx', count => 405, exclude => $ab1, exact => 1);
is($r->{exit}, 0, 'and no aborted one') or diag($r->{output});
# the ferry key alone is enough: ferryd sets the consumer's isolation.level
($rc, $out, $err) = commit('A->B.ferry.mirror.read.uncommitted true');
is($rc, 0, 'commit ferry.mirror.read.uncommitted') or diag($err);
like($out, qr/restarted: A->B;/, 'the flow restarts');
my $ab2 = $A->produce('tx', count => 400, start => 405, transactional_id => 'tx-2', abort_every => 2);
is(scalar @$ab2, 200, 'two transactions of four aborted again');
ok(poll_until(sub { $B->seqcheck('A.tx', count => 805, exclude => $ab1)->{records} >= 805 - @$ab1 },
		120, 'tx mirrored'), 'every record of the second batch is mirrored');
$r = $B->seqcheck('A.tx', count => 805, exclude => $ab1, exact => 1);
is($r->{exit}, 0, 'aborted records too, from the commit on, once each') or diag($r->{output});

is($f->stop, 0, 'ferryd exits 0 on SIGTERM');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
