# 040_crash: no record is lost when ferryd is killed with SIGKILL five times
# during a 200k-record stream and restarted each time, nor when the target
# broker is restarted (and later killed) mid-stream. Duplicates are allowed
# (at-least-once); every sequence number must be on the target.
use strict;
use warnings FATAL => 'all';

use Test::More;
use Time::HiRes ();

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my $A = Ferry::Test::Kafka->new(name => 'A');
my $B = Ferry::Test::Kafka->new(name => 'B');
$A->start;
$B->start;
$A->create_topic('stream', 4);

my $f = Ferry::Test::Ferryd->new(
	name => 'crash',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "refresh.topics.interval.seconds = 2\nferry.positions.flush.interval.ms = 200\n"));

# a producer in the background, paced so the stream outlasts the kills
sub produce_bg
{
	my ($start, $count, $rate) = @_;
	return $A->produce_bg('stream', start => $start, count => $count, rate => $rate);
}

$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'flow running');
# about 30 s of stream: long enough for five kill rounds on a slow machine
my ($finish, $writing) = produce_bg(0, 200000, 6000);

my $mid = 0;
my $last = 0;
for my $round (1 .. 5)
{
	# wait until ferryd made progress since the last kill, then kill it
	ok(poll_until(sub { count_or_zero($B, 'A.stream') > $last }, 120, "progress in round $round"),
		"round $round: ferryd mirrors");
	Time::HiRes::sleep(0.3 + rand(0.7));
	my $during = $writing->();
	my $st = $f->kill9;
	is($st, 137, "round $round: ferryd killed with SIGKILL");
	$last = count_or_zero($B, 'A.stream');
	$mid++ if $during;
	note("round $round: B had $last records when ferryd was killed");
	$f->start;
}
ok($mid >= 3, "at least 3 of the 5 kills happened mid-stream ($mid)");
my ($prc, $perr) = $finish->();
is($prc, 0, 'producer wrote 200k records') or diag($perr);

# (counts include the re-sent duplicates: wait for the records themselves)
ok(poll_until(sub { $B->seqcheck('A.stream', count => 200000)->{missing} == 0 }, 300,
		'every record on B'), 'B caught up');
my $r = $B->seqcheck('A.stream', count => 200000);
is($r->{missing}, 0, "no record lost after 5 x SIGKILL ($r->{summary})");
note("duplicates re-sent after the kills: $r->{duplicates}");
is($r->{unexpected}, 0, 'nothing unexpected');

# --- the target broker restarted mid-stream, then killed mid-stream ---
($finish) = produce_bg(200000, 200000, 12000);
ok(poll_until(sub { count_or_zero($B, 'A.stream') > $r->{records} + 20000 }, 120, 'stream flowing'),
	'second stream flowing');
$B->restart;
pass('target broker restarted mid-stream');
my $before_kill = count_or_zero($B, 'A.stream');
ok(poll_until(sub { count_or_zero($B, 'A.stream') > $before_kill + 20000 }, 180, 'flowing after restart'),
	'mirroring resumed after the target restart');
$B->kill9;
sleep 2;
$B->start;
pass('target broker killed with SIGKILL and started again mid-stream');
($prc, $perr) = $finish->();
is($prc, 0, 'producer wrote 200k more records') or diag($perr);

ok(poll_until(sub { $B->seqcheck('A.stream', count => 400000)->{missing} == 0 }, 300,
		'every record on B'), 'B caught up after the target restarts');
$r = $B->seqcheck('A.stream', count => 400000);
is($r->{missing}, 0, "no record lost across target restarts ($r->{summary})");
ok($f->is_running, 'ferryd kept running through the target outages');
unlike($f->log, qr/flow A->B failed/, 'the flow never failed');
is($r->{outoforder}, 0, 'per partition, first copies arrive in source order');

is($f->stop, 0, 'ferryd exits 0 on SIGTERM');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();

