# 065_store_full: the state store's file system fills up while records keep
# arriving at the source. The flow stops loudly (`show flows`: stalled, with
# the state store and the error named; the audit trail; /metrics) and takes
# no new records while nothing can be saved; once space is freed it resumes
# by itself, every record arrives, and a restart afterwards skips nothing.
# The state directory is a small tmpfs filled with dd (root only).
use strict;
use warnings FATAL => 'all';

use HTTP::Tiny;
use JSON::PP qw(decode_json);
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

plan skip_all => 'mounting a tmpfs needs root' if $> != 0;
my $mnt = tmp_dir('store');
{
	my ($rc, undef, $err) = run_cmd([ 'mount', '-t', 'tmpfs', '-o', 'size=16m,mode=0750', 'tmpfs', $mnt ]);
	plan skip_all => "mount -t tmpfs is not permitted here: $err" if $rc != 0;
}
Ferry::Test::Utils::at_cleanup(sub { system('umount', '-l', $mnt); });

my $A = Ferry::Test::Kafka->new(name => 'A');
my $B = Ferry::Test::Kafka->new(name => 'B');
$A->start;
$B->start;
$A->create_topic('stream', 4);

my $f = Ferry::Test::Ferryd->new(
	name => 'store',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "refresh.topics.interval.seconds = 2\nferry.positions.flush.interval.ms = 200\n"));
my $ferry = Ferry::Test::Utils::build_dir() . '/ferry';

sub flow_row
{
	my ($rc, $out) = run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'flows', '|', 'json' ]);
	return undef if $rc != 0;
	my $res = eval { decode_json($out) } or return undef;
	my @cols = @{ $res->{result}{columns} };
	for my $row (@{ $res->{result}{rows} })
	{
		my %r;
		@r{@cols} = @$row;
		return \%r if $r{flow} eq 'A->B';
	}
	return undef;
}

# one sample of a flow metric from /metrics
sub metric
{
	my ($name, $labels) = @_;
	my $resp = HTTP::Tiny->new(timeout => 10)->get($f->metrics_url);
	return undef unless $resp->{success};
	$labels //= '';
	for my $line (split /\n/, $resp->{content})
	{
		next unless $line =~ /^\Q$name\E\{([^}]*)\} (\S+)$/;
		my ($l, $v) = ($1, $2);
		next unless $l =~ /flow="A->B"/ && index($l, $labels) >= 0;
		return $v + 0;
	}
	return undef;
}

sub produce_bg
{
	my ($start, $count, $rate) = @_;
	return $A->produce_bg('stream', start => $start, count => $count, rate => $rate);
}

$f->start(state_dir => "$mnt/state");
ok($f->wait_for_log(qr/A->B: running/, 120), 'flow running with its state on a 16 MiB tmpfs');
# a stream long enough to outlast the stall on a slow machine
my $total = 30000;
my ($finish, $writing) = produce_bg(0, $total, 500);
ok(wait_count($B, 'A.stream', 500, 120), 'records flow');

# --- fill the file system ---
my ($rc, $out, $err) = run_cmd([ 'dd', 'if=/dev/zero', "of=$mnt/fill", 'bs=64k' ]);
like($err, qr/No space left on device/, 'dd filled the state file system');
my $row;
ok(poll_until(sub { $row = flow_row(); $row && $row->{state} eq 'stalled' }, 120, 'flow stalled'),
	'show flows: the flow is stalled');
like($row->{reason} // '', qr/cannot write the state store: .*ferry\.db: .*(full|No space left)/,
	'the reason names the state store and the error') or diag(explain($row));
ok($f->wait_for_log(qr/flow A->B stalled: .*state store/, 10), 'logged as an error');
ok((metric('ferry_state_store_errors_total') // 0) > 0, '/metrics: ferry_state_store_errors_total counts');
is(metric('ferry_flow_state', 'state="stalled"'), 1, '/metrics: ferry_flow_state{state="stalled"} is 1');
ok($writing->(), 'records still arrive at the source');

# nothing is taken from the source while nothing can be saved: once what
# was in flight is acknowledged, the target's count stands still over
# several more failed saves, while the source grows
ok(poll_until(sub { (metric('ferry_inflight_bytes') // -1) == 0 }, 120, 'nothing in flight'),
	'in-flight records acknowledged');
my $held = count_or_zero($B, 'A.stream');
my $src_before = $A->count('stream');
my $errors = metric('ferry_state_store_errors_total');
ok(poll_until(sub { (metric('ferry_state_store_errors_total') // 0) >= $errors + 10 }, 120,
		'10 more save attempts'), 'saves are retried');
is(count_or_zero($B, 'A.stream'), $held, "no new record mirrored while stalled ($held on B)");
ok($A->count('stream') > $src_before, 'while the source kept growing');
is(flow_row()->{state}, 'stalled', 'still stalled');

# --- free the space: the flow resumes by itself ---
my $pos = $f->log_position;
unlink("$mnt/fill") or die "unlink: $!";
ok(poll_until(sub { $row = flow_row(); $row && $row->{state} eq 'running' }, 120, 'flow running again'),
	'show flows: running again after space was freed');
ok($f->wait_for_log(qr/flow A->B resumed: the state store takes writes again/, 30, $pos), 'logged');
my ($prc, $perr) = $finish->();
is($prc, 0, "producer wrote $total records") or diag($perr);
ok(poll_until(sub { $B->seqcheck('A.stream', count => $total)->{missing} == 0 }, 300, 'every record on B'),
	'B caught up');
my $r = $B->seqcheck('A.stream', count => $total);
is($r->{missing}, 0, "nothing lost ($r->{summary})");
is($r->{unexpected}, 0, 'nothing unexpected');
is($r->{outoforder}, 0, 'in source order per partition');

# the audit trail has both events: the stall was kept in memory while the
# store was full and written once it took writes again
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'audit', '200' ]);
is($rc, 0, 'show audit') or diag($err);
like($out, qr/flow A->B stalled: A->B task 0 cannot write the state store: .*(full|No space left)/,
	'audit: the stall, naming the state store and the error');
like($out, qr/flow A->B resumed: the state store takes writes again/, 'audit: the resumption');
is(metric('ferry_flow_state', 'state="stalled"'), 0, '/metrics: no longer stalled');

# --- a restart afterwards: everything was saved, nothing is skipped ---
my $dups = $r->{duplicates};
is($f->stop, 0, 'clean stop');
$f->start(state_dir => "$mnt/state");
ok($f->wait_for_log(qr/A->B: running/, 120, $pos), 'restarted');
$A->produce('stream', count => 1000, start => $total);
ok(poll_until(sub { $B->seqcheck('A.stream', count => $total + 1000)->{missing} == 0 }, 300,
		'records after the restart'), 'records produced after the restart arrive');
$r = $B->seqcheck('A.stream', count => $total + 1000);
is($r->{missing}, 0, "nothing skipped across the restart ($r->{summary})");
is($r->{duplicates}, $dups, 'nothing re-sent: the positions were saved once the store took writes');
mirror_identical($A, 'stream', $B, 'A.stream', 'A.stream holds the records of stream, in order')
  if $r->{duplicates} == 0;

# --- full again, and ferryd stopped while full: its last save and the
# checkpoint at close fail; the store stays consistent, and the restart
# re-sends at most what was acknowledged but unsaved ---
sub sum_rows
{
	my ($what, $col) = @_;
	my ($xrc, $xout) = run_cmd([ $ferry, '-s', $f->socket_path, 'show', $what, 'A->B', '|', 'json' ]);
	return undef if $xrc != 0;
	my $res = eval { decode_json($xout) } or return undef;
	my @cols = @{ $res->{result}{columns} };
	my ($ci) = grep { $cols[$_] eq $col } 0 .. $#cols;
	my $sum = 0;
	$sum += $_->[$ci] // 0 for grep { $_->[1] eq 'stream' } @{ $res->{result}{rows} };
	return $sum;
}
my $start2 = $total + 1000;
($finish, $writing) = produce_bg($start2, $total, 500);
ok(wait_count($B, 'A.stream', $start2 + 500, 120), 'a second stream flows');
($rc, $out, $err) = run_cmd([ 'dd', 'if=/dev/zero', "of=$mnt/fill", 'bs=64k' ]);
like($err, qr/No space left on device/, 'dd filled the state file system again');
ok(poll_until(sub { $row = flow_row(); $row && $row->{state} eq 'stalled' }, 120, 'flow stalled'),
	'stalled again');
ok(poll_until(sub { (metric('ferry_inflight_bytes') // -1) == 0 }, 120, 'nothing in flight'),
	'in-flight records acknowledged');
# show lag reads the task's snapshot (refreshed every second): wait until it
# holds still, then it includes every acknowledgement
my $acked = -1;
ok(poll_until(sub {
			my $a1 = sum_rows('lag', 'position');
			select(undef, undef, undef, 2.5);
			$acked = sum_rows('lag', 'position');
			return $a1 == $acked;
		}, 120, 'positions to hold still'), "acknowledged positions: $acked");
my $unsaved = $acked - sum_rows('offsets', 'next offset');
ok($unsaved > 0, "records acknowledged but not saved: $unsaved");
$dups = $B->seqcheck('A.stream', count => $start2 + $total)->{duplicates};
is($f->stop, 0, 'SIGTERM while the store is full: ferryd still exits 0');
like($f->log, qr/cannot save positions: .*a restart re-sends from the last saved positions/,
	'the failed last save is logged');
unlink("$mnt/fill") or die "unlink: $!";
($rc, $out, $err) = run_cmd([ 'sqlite3', "$mnt/state/ferry.db", 'PRAGMA integrity_check' ]);
is($out, "ok\n", 'the state store is intact after the failed writes and checkpoint') or diag($err);
$pos = $f->log_position;
$f->start(state_dir => "$mnt/state");
ok($f->wait_for_log(qr/A->B: running/, 120, $pos), 'restarted after space was freed');
($prc, $perr) = $finish->();
is($prc, 0, "producer wrote $total more records") or diag($perr);
ok(poll_until(sub { $B->seqcheck('A.stream', count => $start2 + $total)->{missing} == 0 }, 300,
		'every record on B'), 'B caught up after the restart');
$r = $B->seqcheck('A.stream', count => $start2 + $total);
is($r->{missing}, 0, "nothing skipped ($r->{summary})");
ok($r->{duplicates} - $dups <= $unsaved,
	're-sent at most what was acknowledged but unsaved (' . ($r->{duplicates} - $dups) . " <= $unsaved)");
is($r->{unexpected}, 0, 'nothing unexpected');

is($f->stop, 0, 'clean stop');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
