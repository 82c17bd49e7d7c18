# 010_mirror: ferryd mirrors A->B between two real Kafka clusters.
#
# 100k sequence-numbered records over 3 topics x 4 partitions arrive on B
# as A.<topic>, same partition and order, identical key, value, headers and
# timestamp; odd records (null key, binary value, null header value) too;
# aborted transactions are not copied; internal topics and topics that came
# from B are not mirrored; a topic created after start and partitions added
# after start are picked up; a clean stop saves positions so a restart
# re-sends nothing.
use strict;
use warnings FATAL => 'all';

use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my $A = Ferry::Test::Kafka->new(name => 'A');
my $B = Ferry::Test::Kafka->new(name => 'B');
$A->start;
$B->start;

# --- source data, written before ferryd starts ---
my @topics = qw(t1 t2 t3);
my %count = (t1 => 33334, t2 => 33333, t3 => 33333);
my $start = 0;
my %first;
for my $t (@topics)
{
	$A->create_topic($t, 4);
	$first{$t} = $start;
	$A->produce($t, count => $count{$t}, start => $start);
	$start += $count{$t};
}
is($start, 100000, '100k records produced into A over 3 topics');

# records with edge cases: null key, empty and binary value, null header
$A->create_topic('odd', 2);
$A->put('odd', key => undef, value => "v-null-key", partition => 0);
$A->put('odd', key => 'k-empty', value => '', partition => 0);
$A->put('odd', key => "bin\x00\x01\xff", value => "\x00\xfe\t\n\\,=", partition => 1,
	headers => [ [ 'h-null', undef ], [ 'h', "x\x00y" ], [ 'h', 'dup-name' ] ]);
$A->put('odd', key => 'k-null-value', value => undef, partition => 1, timestamp => 1234567);

# transactional source: aborted records must never be copied
$A->create_topic('tx', 2);
my $aborted = $A->produce('tx', count => 3000, start => 0,
	transactional_id => 'ferry-test-tx', abort_every => 3);
ok(@$aborted > 0, scalar(@$aborted) . ' records were aborted at the source');

# topics that must not be mirrored even though `topics` matches them
$A->create_topic('B.loop', 1);    # came from B: the cycle rule
$A->create_topic('x.internal', 1);
$A->create_topic('skip-me', 1);    # not matched by topics
$A->produce($_, count => 10) for ('B.loop', 'x.internal', 'skip-me');

my $f = Ferry::Test::Ferryd->new(
	name => 'ab',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "A->B.topics = t.*, odd, tx, late.*, B\\..*, .*internal\n"
		  . "refresh.topics.interval.seconds = 2\n"
		  . "topics.exclude = __.*\n"));
my ($rc, $out, $err) = $f->check_config($f->config_file);
is($rc, 0, 'ferryd --check-config accepts the file');
like($out, qr/flow A->B.*remote topics: <topic> on A -> A\.<topic> on B/s,
	'--check-config shows the flow and remote topic names');

$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'flow A->B running');

for my $t (@topics)
{
	ok(wait_count($B, "A.$t", $count{$t}, 300), "A.$t on B holds $count{$t} records");
}
my $bt = $B->topics;
is($bt->{"A.$_"}, 4, "A.$_ has 4 partitions on B") for @topics;
for my $t (@topics)
{
	my $r = $B->seqcheck("A.$t", count => $count{$t}, start => $first{$t}, exact => 1);
	is($r->{exit}, 0, "A.$t: every record exactly once: $r->{summary}");
	mirror_identical($A, $t, $B, "A.$t",
		"A.$t: same partition and order, identical key, value, headers, timestamp");
}

ok(wait_count($B, 'A.odd', 4, 120), 'edge-case records arrived');
mirror_identical($A, 'odd', $B, 'A.odd', 'null key, binary value, null header kept byte for byte');

ok(wait_count($B, 'A.tx', 1, 120), 'transactional topic mirrored');
my $want_tx = 3000 - @$aborted;
ok(poll_until(sub { $B->seqcheck('A.tx', count => 3000, exclude => $aborted)->{records} >= $want_tx },
		120, 'committed transactional records on B'),
	'committed transactional records arrived');
my $r = $B->seqcheck('A.tx', count => 3000, exclude => $aborted, exact => 1);
is($r->{exit}, 0, "every committed record once, no aborted record: $r->{summary}");
is($r->{unexpected}, 0, 'no aborted record was copied');

# two more discovery rounds, then check what they left out
ok($f->wait_rounds('A->B', 2), 'two more discovery rounds');
$bt = $B->topics;
ok(!exists $bt->{'A.B.loop'}, 'B.loop (from B) is not sent back to B');
ok(!exists $bt->{'A.x.internal'}, 'internal topic not mirrored');
ok(!exists $bt->{'A.skip-me'}, 'topic outside `topics` not mirrored');
ok(!(grep { /^A\.__/ } keys %$bt), 'no Kafka-internal topic mirrored');

# --- a topic created after start ---
$A->create_topic('late1', 3);
$A->produce('late1', count => 3000, start => 0);
ok(wait_count($B, 'A.late1', 3000, 120), 'topic created after start is mirrored');
is($B->topics->{'A.late1'}, 3, 'with its 3 partitions');
is($B->seqcheck('A.late1', count => 3000, exact => 1)->{exit}, 0, 'late1 complete');

# --- partitions added after start ---
$A->add_partitions('t1', 6);
$A->produce('t1', count => 6000, start => 200000);
ok(poll_until(sub { ($B->topics->{'A.t1'} // 0) == 6 }, 120, 'A.t1 to grow to 6 partitions'),
	'partitions added on A appear on B');
ok(wait_count($B, 'A.t1', $count{t1} + 6000, 120), 'records of the new partitions arrive');
mirror_identical($A, 't1', $B, 'A.t1', 'A.t1 identical after growing, new partitions included');

# --- clean stop, restart: nothing re-sent ---
is($f->stop, 0, 'ferryd exits 0 on SIGTERM');
like($f->log, qr/stopped cleanly/, 'and says so');
$A->produce('t2', count => 1000, start => 300000);
$f->start;
ok(wait_count($B, 'A.t2', $count{t2} + 1000, 120), 'records produced while stopped arrive');
$r = $B->seqcheck('A.t2', count => $count{t2}, start => $first{t2}, exact => 1);
is($r->{duplicates}, 0, "positions restored after a clean stop: no record re-sent ($r->{summary})");
is($B->seqcheck('A.t2', count => 1000, start => 300000)->{missing}, 0, 'new records complete');
is($f->stop, 0, 'second clean stop');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');

done_testing();
