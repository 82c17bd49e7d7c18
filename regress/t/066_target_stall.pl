# 066_target_stall: the target broker is frozen (SIGSTOP) for 60 s while the
# source holds a large backlog and keeps taking a steady stream. ferryd's
# memory stays within the bound ferryd(8) documents (section Memory) for its
# configuration: ferry's own account of in-flight bytes never exceeds
# ferry.mirror.max.inflight.bytes per task (the primary assertion, exact),
# and the resident set stays below the documented formula (with an
# allowance for AddressSanitizer's shadow memory and quarantine in the
# sanitizer build). After SIGCONT every record arrives.
use strict;
use warnings FATAL => 'all';

use HTTP::Tiny;
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
$A->create_topic('load', 8);

# a backlog far above what ferryd may hold: 384 MiB in records of 16 KiB
# (fewer than queue.buffering.max.messages: only byte limits bound them)
my $size = 16384;
my $backlog = 24000;
$A->produce('load', count => $backlog, size => $size);
note("backlog: $backlog records of $size bytes");

my $tasks = 2;
my $budget = 8 << 20;   # ferry.mirror.max.inflight.bytes, per task
my $f = Ferry::Test::Ferryd->new(
	name => 'stall',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "tasks.max = $tasks\nferry.mirror.max.inflight.bytes = $budget\n"
		  . "refresh.topics.interval.seconds = 2\nferry.positions.flush.interval.ms = 200\n"));

sub metric
{
	my ($name) = @_;
	my $resp = HTTP::Tiny->new(timeout => 10)->get($f->metrics_url);
	return undef unless $resp->{success};
	return $resp->{content} =~ /^\Q$name\E\{flow="A->B"[^}]*\} (\S+)$/m ? $1 + 0 : undef;
}

sub rss_bytes
{
	my $pid = $f->pid // return 0;
	open(my $fh, '<', "/proc/$pid/status") or return 0;
	my ($kb) = join('', <$fh>) =~ /^VmRSS:\s+(\d+) kB/m;
	return ($kb // 0) * 1024;
}

sub produce_bg
{
	my ($start, $count, $rate) = @_;
	my ($finish) = $A->produce_bg('load', start => $start, count => $count, size => $size,
		rate => $rate);
	return $finish;
}

$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'flow running');
ok(wait_count($B, 'A.load', 1000, 300), 'mirroring the backlog');
my $base_rss = rss_bytes();

# --- freeze the target under full source load ---
my $stream = 3000;
my $finish = produce_bg($backlog, $stream, 40);
$B->pause;
my $t0 = Time::HiRes::time();
my ($peak_rss, $samples) = (0, 0);
while (Time::HiRes::time() - $t0 < 60)
{
	my $rss = rss_bytes();
	$peak_rss = $rss if $rss > $peak_rss;
	$samples++;
	Time::HiRes::sleep(0.5);
}
my $peak_acct = metric('ferry_inflight_bytes_max');
my $now_acct = metric('ferry_inflight_bytes');
$B->resume;
ok($f->is_running, 'ferryd ran through the stall');
note(sprintf('RSS before the stall %.1f MiB, peak during it %.1f MiB (%d samples); '
		  . 'in-flight bytes: %.1f MiB at the end, peak %.1f MiB',
		$base_rss / 1048576, $peak_rss / 1048576, $samples, ($now_acct // 0) / 1048576,
		($peak_acct // 0) / 1048576));

# ferry's own account: never above the budget (plus the one record that
# crosses it) per task
ok(defined $peak_acct && $peak_acct > 0, 'ferry_inflight_bytes_max is reported');
ok($peak_acct <= $tasks * ($budget + $size + 64),
	sprintf('in-flight bytes peaked at %d <= %d tasks x (%d + one record)', $peak_acct, $tasks, $budget));
ok($now_acct >= $tasks * $budget / 2, 'the budget was really reached during the stall (the test can fail)')
  or diag("in flight at the end of the stall: $now_acct");

# the documented bound (ferryd(8), Memory):
#   base + tasks.max x (2 x max.inflight.bytes + queued.max.messages.kbytes x 1024
#                       + (source brokers + 2) x fetch.max.bytes
#                       + queue.buffering.max.messages x 1 KiB)
my $per_task = 2 * $budget + 16384 * 1024 + 3 * 16777216 + 20000 * 1024;
my $base = 64 << 20;
my $bound = $base + $tasks * $per_task;
my $asan = `ldd @{[ Ferry::Test::Ferryd::binary() ]} 2>/dev/null` =~ /libasan/;
# AddressSanitizer: shadow memory (1/8 of what is touched), redzones and a
# quarantine of freed blocks (256 MiB by default) come on top
$bound = $bound * 9 / 8 + (256 << 20) + (64 << 20) if $asan;
ok($peak_rss < $bound, sprintf('peak RSS %.1f MiB below the documented bound %.1f MiB%s',
		$peak_rss / 1048576, $bound / 1048576, $asan ? ' (ASan build)' : ''));

my ($prc, $perr) = $finish->();
is($prc, 0, "producer wrote $stream more records") or diag($perr);
my $total = $backlog + $stream;
ok(poll_until(sub { $B->seqcheck('A.load', count => $total, timeout => 120)->{missing} == 0 }, 900,
		'every record on B'), 'B caught up after the stall');
my $r = $B->seqcheck('A.load', count => $total, timeout => 120);
is($r->{missing}, 0, "every record arrived ($r->{summary})");
is($r->{unexpected}, 0, 'nothing unexpected');
is($r->{outoforder}, 0, 'in source order per partition');
unlike($f->log, qr/flow A->B failed/, 'the flow never failed');

is($f->stop, 0, 'clean stop');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
