# 045_source_changes: source offsets that change under ferry, against real
# brokers, each with ferryd down while it happens and restarted afterwards:
#   - a topic deleted and recreated with fewer records (the log went
#     backwards): the partition stops loudly, nothing of the new log is
#     mixed into the remote topic;
#   - a topic recreated with more records than ferry's position: the last
#     mirrored record is read back, differs, and the partition stops;
#   - DeleteRecords past ferry's position: mirroring goes on from the new
#     log start, and the offsets never mirrored are counted (show lag,
#     /metrics), logged, audited;
#   - a corrupt record batch (CRC mismatch): the partition stops at it;
#   - a topic that did not change is checked and goes on, without a
#     duplicate.
# Then the operator resumes the stopped partitions (`resume flow F --topic T
# --partition P --from earliest|latest|OFFSET`), audited, and a restart keeps
# everything in place.
use strict;
use warnings FATAL => 'all';

use File::Find ();
use HTTP::Tiny;
use JSON::PP;
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my ($A, $B) = Ferry::Test::Kafka->start_clusters('A', 'B');
for my $t (qw(shrink regrow expire live crc hot))
{
	$A->create_topic($t, 1);
}
$A->produce($_, count => 100) for qw(shrink regrow expire live hot);
$A->produce('crc', count => 50);

my $f = Ferry::Test::Ferryd->new(
	name => 'src',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "refresh.topics.interval.seconds = 1\n"
		  . "ferry.positions.flush.interval.ms = 200\n"
		  . "emit.checkpoints.enabled = false\n"
		  . "emit.heartbeats.enabled = false\n"));

sub ferry { return $f->ferry(@_); }

sub ferry_rows
{
	my ($rc, $out, $err) = ferry(@_, '|', 'json');
	die "ferry @_: $err" if $rc != 0;
	return decode_json($out)->{result}{rows};
}

# show lag A->B as { topic => row }: flow, topic, partition, end, position,
# lag, lag seconds, never mirrored, state
sub lag_rows
{
	return { map { ($_->[1] => $_) } @{ ferry_rows('show', 'lag', 'A->B') } };
}

sub audit_text
{
	my ($rc, $out) = ferry('show', 'audit', '200');
	return $out;
}

$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'flow running');
ok(wait_count($B, "A.$_", 100, 120), "$_ mirrored") for qw(shrink regrow expire live hot);
ok(wait_count($B, 'A.crc', 50, 120), 'crc mirrored');
# the positions are saved with the last record's identity; SIGTERM saves too
ok(poll_until(sub { my $l = lag_rows(); !grep { ($l->{$_}[4] // -1) != ($_ eq 'crc' ? 50 : 100) } qw(shrink regrow expire live crc hot) },
		60, 'every position at the end'), 'positions at the end of every topic');
is($f->stop, 0, 'ferryd stopped (SIGTERM)');

# --- while ferryd is down, the source changes under it ---
$A->delete_topic('shrink');
$A->create_topic('shrink', 1);
$A->produce('shrink', count => 10, start => 1000);           # offsets 0..9
$A->delete_topic('regrow');
$A->create_topic('regrow', 1);
$A->produce('regrow', count => 150, start => 2000);          # offsets 0..149
$A->produce('expire', count => 100, start => 100);           # offsets 100..199
$A->kt('delete-records', 'expire', 0, 150);                  # log starts at 150
$A->produce('live', count => 100, start => 100);
$A->produce('crc', count => 20, start => 50);

# flip one byte near the end of crc's segment: the last batch's CRC no longer
# matches (the broker serves file bytes as they are)
my @seg;
File::Find::find(sub { push @seg, $File::Find::name if /\.log$/ && $File::Find::dir =~ m{/crc-0$} },
	$A->dir . '/data');
is(scalar @seg, 1, 'one segment of crc-0') or diag("@seg");
{
	open(my $fh, '+<:raw', $seg[0]) or die "$seg[0]: $!";
	my $size = -s $fh;
	seek($fh, $size - 3, 0);
	read($fh, my $byte, 1);
	seek($fh, $size - 3, 0);
	print $fh chr(ord($byte) ^ 0x55);
	close($fh);
}

my $at = $f->log_position;
$f->start;
ok($f->wait_control, 'ferryd restarted');
ok($f->wait_for_log(qr/partition shrink\[0\] stopped at offset 100: the source log went backwards: ferry's position is 100 but the log now ends at 10/, 120, $at),
	'recreated with fewer records: the partition stops, saying why');
ok($f->wait_for_log(qr/partition regrow\[0\] stopped at offset 100: the source log changed: the record at offset 99 is not the one ferry mirrored/, 120, $at),
	'recreated with more records: the last mirrored record differs, the partition stops');
ok($f->wait_for_log(qr/expire\[0\]: offsets 100\.\.149 \(50 records or markers\) were deleted at the source before ferry mirrored them/, 120, $at),
	'records deleted before they were mirrored: logged with the range');
ok($f->wait_for_log(qr/partition crc\[0\] stopped at offset \d+: a record at offset \d+ cannot be read: .*CRC/, 120, $at),
	'a corrupt batch stops the partition');

ok(poll_until(sub { $B->seqcheck('A.expire', count => 200)->{distinct} == 150 }, 120, 'expire caught up'),
	'expire: the records still at the source arrive');
my $r = $B->seqcheck('A.expire', count => 200);
is($r->{missing}, 50, 'expire: 50 records missing on the target') or diag($r->{summary});
$r = $B->seqcheck('A.expire', count => 200, exclude => [ 100 .. 149 ]);
is($r->{missing}, 0, 'exactly the deleted ones, 100..149') or diag($r->{summary});
is($r->{unexpected} + $r->{duplicates}, 0, 'nothing else, nothing twice');
ok(wait_count($B, 'A.live', 200, 120), 'live: the unchanged topic goes on');
$r = $B->seqcheck('A.live', count => 200);
is($r->{missing} + $r->{duplicates} + $r->{unexpected}, 0,
	"live: checked and continued without a duplicate ($r->{summary})");
like($f->log, qr/live\[0\]: last mirrored record at 99 checked/, 'the unchanged record was checked');

# a topic deleted and recreated while ferryd runs, with more records than
# ferry's position: the consumer loses the partition, and before anything
# more is mirrored the last record is read back
$at = $f->log_position;
$A->delete_topic('hot');
ok($f->wait_for_log(qr/hot\[0\]: .*if the topic comes back, its last mirrored record is checked/, 120, $at),
	'a vanished topic is noticed');
$A->create_topic('hot', 1);
$A->produce('hot', count => 150, start => 5000);
ok($f->wait_for_log(qr/partition hot\[0\] stopped at offset 100: the source log changed: the record at offset 99 is not the one ferry mirrored/, 120, $at),
	'recreated while ferryd runs: the partition stops');
$r = $B->seqcheck('A.hot', count => 100);
is($r->{records}, 100, 'hot: nothing of the new log mixed in') or diag($r->{summary});

# nothing of the new logs is mixed in while the partitions are stopped: the
# crc partition got past its last good batch and no further
ok(poll_until(sub { (lag_rows()->{crc}[8] // '') =~ /CRC/ }, 60, 'crc stopped in show lag'), 'crc shows stopped');
# (good batches before the corrupt one may still be acknowledged: wait until
# the position and the target agree)
my $crc_pos;
ok(poll_until(sub { $crc_pos = lag_rows()->{crc}[4]; $B->seqcheck('A.crc', count => 70)->{distinct} == $crc_pos },
		60, 'crc position and target agree'),
	'crc: exactly the records before the corrupt batch arrived');
ok($crc_pos >= 50 && $crc_pos < 70, "crc: the position stays before the corrupt batch ($crc_pos)");
$r = $B->seqcheck('A.crc', count => 70);
is($r->{unexpected} + $r->{duplicates}, 0, 'crc: nothing unexpected on the target');
is(count_or_zero($B, 'A.shrink'), 100, 'shrink: the remote topic holds only the old records');
$r = $B->seqcheck('A.regrow', count => 100);
is($r->{records}, 100, 'regrow: nothing of the new log mixed in') or diag($r->{summary});
is($r->{missing} + $r->{unexpected}, 0, 'regrow: the old records, as they were');

# --- the shell, the audit trail and /metrics say so ---
my $lag = lag_rows();
like($lag->{shrink}[8], qr/went backwards/, 'show lag: shrink stopped with the reason');
like($lag->{regrow}[8], qr/not the one ferry mirrored/, 'show lag: regrow stopped with the reason');
is($lag->{shrink}[4], 100, 'show lag: shrink position stays at what was mirrored');
is($lag->{expire}[7], 50, 'show lag: 50 offsets of expire never mirrored');
is($lag->{expire}[8], 'mirroring', 'show lag: expire goes on');
is($lag->{live}[7], 0, 'show lag: none missing on live');
my ($rc, $out) = ferry('show', 'flows');
like($out, qr/^A->B\s+degraded\s.*partitions stopped/m, 'show flows: the flow is degraded, naming stopped partitions');
my $audit = audit_text();
like($audit, qr/partition shrink\[0\] stopped at offset 100: the source log went backwards/, 'audit: shrink stop');
like($audit, qr/partition regrow\[0\] stopped/, 'audit: regrow stop');
like($audit, qr/partition expire\[0\]: offsets 100\.\.149 .*deleted at the source/, 'audit: expired range');
my $metrics = HTTP::Tiny->new(timeout => 30)->get($f->metrics_url)->{content} // '';
like($metrics, qr/^ferry_partition_stopped\{[^}]*topic="shrink"[^}]*\} 1$/m, 'metric: shrink stopped');
like($metrics, qr/^ferry_partition_stopped\{[^}]*topic="live"[^}]*\} 0$/m, 'metric: live not stopped');
like($metrics, qr/^ferry_partition_offsets_never_mirrored_total\{[^}]*topic="expire"[^}]*\} 50$/m,
	'metric: 50 offsets of expire never mirrored');

# a group of the new log is never translated with the old log's history
$A->group_commit('newlog', 'shrink', 0, 5);
($rc, $out) = ferry('failover', 'A->B', '--groups', 'newlog');
like($out, qr/newlog\s+A\.shrink\s+0\s+5\s.*refused: offset 5 of shrink\[0\] cannot be translated/,
	'failover refuses a group of the stopped partition instead of translating across the change')
  or diag($out);
is_deeply($B->group_offsets('newlog'), {}, 'and commits nothing for it on the target');

# --- the operator decides ---
my $err;
($rc, $out, $err) = ferry('resume', 'flow', 'A->B', '--topic', 'live', '--partition', '0', '--from', 'earliest');
isnt($rc, 0, 'resuming a partition that is not stopped is refused');
like($err, qr/live\[0\] of flow A->B is not stopped/, 'saying so');
($rc, $out, $err) = ferry('resume', 'flow', 'A->B', '--topic', 'nosuch', '--partition', '0', '--from', 'earliest');
like($err, qr/does not mirror nosuch\[0\]/, 'an unknown partition is named');
($rc, $out, $err) = ferry('resume', 'flow', 'A->B', '--topic', 'regrow', '--partition', '0', '--from', 'soon');
like($err, qr/POSITION: expected earliest, latest or an offset/, 'a bad position is named');
($rc, $out) = ferry('resume', 'flow', 'A->B', '--topic', 'regrow', '--partition', '0', '--from', '99999');
is($rc, 0, 'a resume from an offset is queued');
ok(poll_until(sub { audit_text() =~ /resume of partition regrow\[0\] from 99999 refused: the log holds offsets 0 to 150/ }, 60,
		'refusal audited'), 'an offset outside the log is refused by the task, audited');
like(lag_rows()->{regrow}[8], qr/not the one ferry mirrored/, 'and regrow stays stopped');

($rc, $out) = ferry('resume', 'flow', 'A->B', '--topic', 'shrink', '--partition', '0', '--from', 'earliest');
is($rc, 0, 'resume shrink from earliest') or diag($out);
ok(poll_until(sub { $B->seqcheck('A.shrink', count => 10, start => 1000)->{missing} == 0 }, 120, 'shrink resumed'),
	'shrink: the new log is mirrored from its start');
($rc, $out) = ferry('resume', 'flow', 'A->B', '--topic', 'regrow', '--partition', '0', '--from', 'latest');
is($rc, 0, 'resume regrow from latest');
ok(poll_until(sub { lag_rows()->{regrow}[8] eq 'mirroring' }, 60, 'regrow mirroring'), 'regrow mirrors again');
$A->produce('regrow', count => 5, start => 3000);
ok(poll_until(sub { $B->seqcheck('A.regrow', count => 5, start => 3000)->{missing} == 0 }, 120, 'regrow new records'),
	'regrow: records after the chosen position arrive');
is(count_or_zero($B, 'A.regrow'), 105, 'regrow: and none of the records before it');
$audit = audit_text();
like($audit, qr/resume flow A->B --topic shrink --partition 0 --from earliest/, 'audit: the request');
like($audit, qr/partition shrink\[0\] resumed from offset 0; offset-sync history cut there/, 'audit: the outcome');
like($audit, qr/partition regrow\[0\] resumed from offset 150/, 'audit: latest resolved to the offset');
($rc, $out) = ferry('resume', 'flow', 'A->B', '--topic', 'hot', '--partition', '0', '--from', '100');
is($rc, 0, 'resume hot from offset 100 of its new log');
ok(poll_until(sub { $B->seqcheck('A.hot', count => 50, start => 5100)->{missing} == 0 }, 120, 'hot resumed'),
	'hot: the new log from offset 100 on arrives');
is(count_or_zero($B, 'A.hot'), 150, 'hot: and nothing before it');
ok(poll_until(sub { my ($c, $o) = ferry('show', 'flows'); $o =~ /crc\[0\] stopped/ && $o =~ /^A->B\s+degraded/m }, 30, 'only crc left'),
	'show flows: degraded while crc is still stopped');

# --- a restart keeps all of it in place ---
is($f->stop, 0, 'ferryd stopped again');
$A->produce('shrink', count => 10, start => 1010);
$at = $f->log_position;
$f->start;
ok($f->wait_control, 'ferryd restarted');
ok(poll_until(sub { $B->seqcheck('A.shrink', count => 20, start => 1000)->{missing} == 0 }, 120, 'shrink after restart'),
	'shrink goes on after a restart from its new log');
$r = $B->seqcheck('A.shrink', count => 20, start => 1000);
is($r->{duplicates}, 0, 'without re-sending');
ok($f->wait_for_log(qr/partition crc\[0\] stopped at offset \d+: a record at offset \d+ cannot be read/, 60, $at),
	'crc stops again at the same batch');
unlike(substr($f->log, $at), qr/partition (shrink|regrow)\[0\] stopped/, 'the resumed partitions do not stop again');
is(lag_rows()->{expire}[7], 50, 'the count of offsets never mirrored survives the restart');
($rc, $out) = ferry('resume', 'flow', 'A->B', '--topic', 'crc', '--partition', '0', '--from', 'latest');
is($rc, 0, 'crc resumed from latest: the operator skips the corrupt batch knowingly');
ok(poll_until(sub { my ($c, $o) = ferry('show', 'flows'); $o =~ /^A->B\s+running/m }, 60, 'running'),
	'show flows: running once no partition is stopped');

is($f->stop, 0, 'ferryd exits 0 on SIGTERM');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
