# 100_topic_config_sync: topic config sync as MM2's sync.topic.configs,
# against real brokers. A remote topic is created with its source's
# non-default configs (KAFKA-12254); a change at the source reaches it
# within sync.topic.configs.interval.seconds; excluded configs never do
# (a custom list on A->B, MM2's default list on B->A), and the target's own
# value of one is not wiped by the whole-set AlterConfigs (KAFKA-14420);
# per-target overrides hold at every sync and a per-flow one wins; a topic
# ferry did not create is never altered; use.defaults.from = source copies
# default values too; a commit of an override applies without a restart;
# a config the target refuses is reported and mirroring goes on; a bad
# override key is an error naming file:line and key, nothing applied.
use strict;
use warnings FATAL => 'all';

use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my ($A, $B) = Ferry::Test::Kafka->start_clusters('A', 'B');

$A->create_topic(
	'orders', 1,
	'retention.ms' => 86400000,
	'cleanup.policy' => 'compact',
	'max.message.bytes' => 2000000,
	'min.insync.replicas' => 1,
	'segment.ms' => 7200000,
	'retention.bytes' => 5000000);
$A->produce('orders', count => 100);
# a topic that exists on B before ferry: never altered
$A->create_topic('manual', 1, 'retention.ms' => 99999000);
$B->create_topic('A.manual', 1, 'retention.ms' => 12345000);
# mirrored B->A, with MM2's default exclude list and use.defaults.from = source
$B->create_topic('bonly', 1, 'min.insync.replicas' => 1, 'retention.ms' => 3600000);

my $f = Ferry::Test::Ferryd->new(
	name => 'tcs',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => [ 'A->B', 'B->A' ],
		extra => "A->B.topics = orders, manual\n"
		  . "B->A.topics = bonly\n"
		  . "refresh.topics.interval.seconds = 1\n"
		  . "sync.topic.configs.interval.seconds = 2\n"
		  . "A->B.config.properties.exclude = segment\\\\.ms, min\\\\.insync\\\\.replicas\n"
		  . "B->A.use.defaults.from = source\n"
		  . "B.topic.overrides.retention.bytes = 1000000000\n"
		  . "B.topic.overrides.flush.messages = 1000\n"
		  . "A->B.topic.overrides.flush.messages = 2000\n"
		  . "emit.checkpoints.enabled = false\n"));
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'A->B running');
ok(wait_count($B, 'A.orders', 100, 120), 'orders mirrored');

sub configs_of
{
	my ($cluster, $topic) = @_;
	return eval { $cluster->topic_configs($topic) } // {};
}

# --- created with the source's configs, minus excluded, plus overrides ---
my $c = configs_of($B, 'A.orders');
is($c->{'retention.ms'}, '86400000', 'A.orders created with the source retention.ms');
is($c->{'cleanup.policy'}, 'compact', 'and cleanup.policy');
is($c->{'max.message.bytes'}, '2000000', 'and max.message.bytes');
ok(!exists $c->{'min.insync.replicas'}, 'min.insync.replicas (excluded) not copied');
ok(!exists $c->{'segment.ms'}, 'segment.ms (a custom exclude) not copied');
is($c->{'retention.bytes'}, '1000000000', 'the per-target override wins over the source');
is($c->{'flush.messages'}, '2000', 'the per-flow override wins over the per-target one');
like($f->log, qr/A->B: created topic A\.orders on B \(1 partitions, replication factor 1, source configs\)/,
	'the creation says it carried the source configs');

# --- a topic ferry did not create is left alone ---
ok(wait_count($B, 'A.manual', 0, 60), 'A.manual exists');
ok($f->wait_for_log(qr/A->B: topic A\.manual on B was not created by ferry; its configs are left alone/, 60),
	'one info line for the topic ferry did not create');

# --- a key set by hand on B for an excluded config ---
my %hand = %{ configs_of($B, 'A.orders') };
$hand{'min.insync.replicas'} = 1;
$B->set_topic_configs('A.orders', %hand);

# --- a change at the source reaches the target within the interval ---
my $pos = $f->log_position;
$A->set_topic_configs(
	'orders',
	'retention.ms' => 3600000,
	'cleanup.policy' => 'delete',
	'max.message.bytes' => 3000000,
	'min.insync.replicas' => 1,
	'segment.ms' => 1800000,
	'retention.bytes' => 5000000);
ok(poll_until(sub { (configs_of($B, 'A.orders')->{'retention.ms'} // '') eq '3600000' }, 20,
		'retention.ms synced'), 'retention.ms change reached A.orders within the interval');
$c = configs_of($B, 'A.orders');
is($c->{'cleanup.policy'}, 'delete', 'cleanup.policy synced');
is($c->{'max.message.bytes'}, '3000000', 'max.message.bytes synced');
ok(!exists $c->{'segment.ms'}, 'segment.ms still not copied');
is($c->{'min.insync.replicas'}, '1', 'the hand-set excluded min.insync.replicas is not wiped');
is($c->{'retention.bytes'}, '1000000000', 'the per-target override survives the sync');
is($c->{'flush.messages'}, '2000', 'the per-flow override survives the sync');
ok($f->wait_for_log(qr/A->B: synced topic configs of A\.orders on B from orders on A: .*retention\.ms 86400000 -> 3600000/, 30, $pos),
	'the sync is logged with what changed');

# no needless writes: nothing changes, nothing is altered
my $synced = () = $f->log =~ /synced topic configs of A\.orders/g;
for (1 .. 3)
{
	ok($f->wait_for_log(qr/A->B: topic config sync round done/, 30, $f->log_position),
		"sync round $_ done");
}
my $synced_after = () = $f->log =~ /synced topic configs of A\.orders/g;
is($synced_after, $synced, 'rounds without a change at the source alter nothing');

my (undef, $audit) = $f->ferry('show', 'audit');
my $audited = () = $audit =~ /topic configs of A\.orders on B synced from orders: [^\n]*retention\.ms 86400000 -> 3600000/g;
is($audited, 1, 'the change is in the audit trail once');
my (undef, $metrics) = $f->ferry('show', 'metrics');
like($metrics, qr/^topic-config-sync-count\s+flow="A->B"\S*\s+[1-9]\d*$/m, 'syncs are counted');
like($metrics, qr/^topic-config-sync-errors\s+flow="A->B"\S*\s+0$/m, 'no failed syncs');

is_deeply(configs_of($B, 'A.manual'), { 'retention.ms' => '12345000' },
	'A.manual (not created by ferry) never altered');

# --- B->A: MM2's default exclude list, use.defaults.from = source ---
ok(wait_count($A, 'B.bonly', 0, 60), 'B.bonly created on A');
ok(poll_until(sub { exists configs_of($A, 'B.bonly')->{'segment.bytes'} }, 30, 'defaults copied'),
	'use.defaults.from = source: default values are copied too');
$c = configs_of($A, 'B.bonly');
is($c->{'retention.ms'}, '3600000', 'B.bonly has the source retention.ms');
ok(!exists $c->{'min.insync.replicas'}, 'min.insync.replicas is in MM2\'s default exclude list');
ok(!exists $c->{'unclean.leader.election.enable'}, 'so is unclean.leader.election.enable');
ok(!exists $c->{'retention.bytes'} || $c->{'retention.bytes'} eq '-1',
	'B\'s overrides do not apply to A');

# --- a commit of an override applies without a restart ---
sub commit
{
	my (@sets) = @_;
	my $script = "configure\n" . join('', map { "set $_\n" } @sets) . "commit\nexit discard\n";
	return $f->ferry({ stdin => $script }, '-e');
}
my ($rc, $out, $err) = commit('B.topic.overrides.retention.bytes 2000000000');
is($rc, 0, 'commit an override') or diag($out, $err);
ok(poll_until(sub { (configs_of($B, 'A.orders')->{'retention.bytes'} // '') eq '2000000000' }, 30,
		'override applied'), 'the committed override reaches A.orders');

# --- a config the target refuses: reported per topic, mirroring goes on ---
$pos = $f->log_position;
($rc, $out, $err) = commit('A->B.topic.overrides.min.cleanable.dirty.ratio 7');
is($rc, 0, 'commit an override B refuses') or diag($out, $err);
ok($f->wait_for_log(qr/A->B: cannot sync the topic configs of A\.orders on B: .*mirroring goes on/, 60, $pos),
	'the refusal is logged, naming the topic');
$A->produce('orders', count => 50, start => 100);
ok(wait_count($B, 'A.orders', 150, 120), 'and records are still mirrored');
(undef, $metrics) = $f->ferry('show', 'metrics');
like($metrics, qr/^topic-config-sync-errors\s+flow="A->B"\S*\s+[1-9]\d*$/m, 'the failed syncs are counted');
($rc, $out, $err) = $f->ferry({ stdin => "configure\ndelete A->B.topic.overrides.min.cleanable.dirty.ratio\ncommit\nexit discard\n" }, '-e');
is($rc, 0, 'the bad override removed') or diag($out, $err);

# --- bad override keys: an error naming file:line and key; nothing applied ---
my (undef, $revs_before) = $f->ferry('show', 'revisions');
($rc, $out, $err) = commit('B.topic.overrides.retention.msx 5');
isnt($rc, 0, 'a misspelt override config is refused');
like($out . $err, qr/B\.topic\.overrides\.retention\.msx: unknown topic config "retention\.msx"; did you mean B\.topic\.overrides\.retention\.ms\?/,
	'naming the key and the config meant');
my (undef, $revs_after) = $f->ferry('show', 'revisions');
is($revs_after, $revs_before, 'nothing applied');

my $base = mm2_config(clusters => { A => $A, B => $B }, flows => ['A->B']);
my $nl = () = $base =~ /\n/g;
($rc, $out, $err) = $f->check_config($base . "B.topic.overrides. = 5\n");
isnt($rc, 0, 'an override without a config name is an error');
like($err, qr/:\Q@{[$nl + 1]}\E: B\.topic\.overrides\.: expected topic\.overrides\.CONFIG = VALUE/,
	'naming line and key');
($rc, $out, $err) = $f->check_config($base . "A->B.topic.overrides.retention.ms =\n");
isnt($rc, 0, 'an override without a value is an error');
like($err, qr/:\Q@{[$nl + 1]}\E: A->B\.topic\.overrides\.retention\.ms: expected a value/, 'naming line and key');
($rc, $out, $err) = $f->check_config($base . "topic.overrides.retention.ms = 1\n");
isnt($rc, 0, 'an override for no target is an error, not lost silently');
like($err, qr/:\Q@{[$nl + 1]}\E: topic\.overrides\.retention\.ms: a topic override names its target or flow/,
	'naming line and key');
($rc, $out, $err) = $f->check_config($base . "B.topic.overrides.retention.ms = 1\nA->B.topic.overrides.retention.ms = 2\n"
	  . "B.topic.overrides.flush.ms = 3\n");
is($rc, 0, 'good overrides pass --check-config') or diag($err);
like($out, qr/^  topic overrides: retention\.ms=2, flush\.ms=3$/m, 'which lists them as resolved (the flow\'s wins)');
($rc, $out, $err) = $f->check_config($base . "use.defaults.from = both\n");
isnt($rc, 0, 'use.defaults.from must be target or source');
like($err, qr/use\.defaults\.from: expected target or source, got "both"/, 'and says so');

is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
is($f->stop, 0, "clean stop");
done_testing();
