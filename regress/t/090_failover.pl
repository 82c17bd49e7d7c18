# 090_failover: exact offset translation and planned failover between real
# clusters. A group that committed mid-stream on A resumes on B at exactly
# the next unprocessed record (0 re-read, 0 skipped) after `failover
# --drain`: on a plain topic, a compacted one, one written by a
# transactional producer (commits and aborts), and with ferryd killed and
# restarted mid-stream. MM2's own RemoteClusterUtils reads ferry's
# checkpoints and heartbeats; group offsets are synced to idle groups only;
# an active group on B is never overwritten; time-based reset; bad input.
# With a small ferry.offset-syncs.retention and a transactional topic (a
# sync per commit marker): a group older than the kept history gets no
# checkpoint, no offset sync, and failover refuses it naming the
# partition; a group below the source's log start resumes where the
# source's earliest record is; one inside the history stays exact.
use strict;
use warnings FATAL => 'all';

use HTTP::Tiny;
use IPC::Run ();
use JSON::PP;
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my $ferry = build_dir() . '/ferry';
# a log cleaner that does not wait, for the compacted topic
my $A = Ferry::Test::Kafka->new(name => 'A',
	extra_props => { 'log.cleaner.backoff.ms' => 200, 'log.initial.task.delay.ms' => 0 });
my $B = Ferry::Test::Kafka->new(name => 'B');
$A->start(wait => 0);
$B->start(wait => 0);
$A->wait_ready;
$B->wait_ready;

# --- the source data ---
$A->create_topic('orders', 3);
$A->produce('orders', count => 6000);
$A->create_topic('prices', 1, 'cleanup.policy' => 'compact', 'segment.ms' => 100,
	'min.cleanable.dirty.ratio' => '0.01', 'delete.retention.ms' => 100,
	'min.compaction.lag.ms' => 0);
# 40 keys first, then only 20 of them: the last copies of the other 20
# survive compaction between removed records
for my $round (0 .. 3)
{
	$A->kt('produce', 'prices', '--count', 500, '--start', 10000 + 500 * $round, '--key-mod',
		$round == 0 ? 40 : 20);
	sleep 1;    # let segments roll, so the cleaner has something to compact
}
$A->create_topic('ledger', 2);
my $aborted = $A->produce('ledger', count => 3000, start => 20000,
	transactional_id => 'ferry-090', abort_every => 3);

# where each group stopped on A: offsets per partition, some on purpose in
# gaps (compaction), on transaction markers and on aborted records
sub a_offsets
{
	my ($topic) = @_;
	my %by;
	push @{ $by{ $_->{partition} } }, $_->{offset} for @{ $A->dump($topic) };
	return \%by;
}
my ($pr, $gap);
ok(poll_until(sub {
			$pr = a_offsets('prices')->{0} // [];
			($gap) = grep { $pr->[$_] + 1 != $pr->[ $_ + 1 ] } 0 .. $#$pr - 1;
			defined $gap;
		}, 120, 'compaction'), 'prices is compacted on A: its offsets have gaps');
note('a compaction gap starts at offset ' . ($pr->[$gap] + 1)) if defined $gap;
my $lg = a_offsets('ledger');
my ($marker) = grep { $lg->{0}[$_] + 1 != $lg->{0}[ $_ + 1 ] } 0 .. $#{ $lg->{0} } - 1;
my %commit = (
	billing => { topic => 'orders', at => { 0 => 777, 1 => 1000, 2 => 1999 } },
	pricing => { topic => 'prices', at => { 0 => $pr->[$gap] + 1 } },
	audit => { topic => 'ledger', at => { 0 => $lg->{0}[$marker] + 1, 1 => 1234 } },
);
for my $g (sort keys %commit)
{
	$A->group_commit($g, $commit{$g}{topic}, $_, $commit{$g}{at}{$_}) for sort keys %{ $commit{$g}{at} };
}

my $f = Ferry::Test::Ferryd->new(
	name => 'dr',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "A->B.topics = orders, prices, ledger\n"
		  . "refresh.topics.interval.seconds = 1\n"
		  . "emit.checkpoints.interval.seconds = 1\n"
		  . "sync.group.offsets.enabled = true\n"
		  . "sync.group.offsets.interval.seconds = 1\n"
		  . "A->B.groups = billing, pricing, audit, reports, live\n"
		  . "ferry.positions.flush.interval.ms = 200\n"));
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'flow running');
ok(wait_count($B, 'A.orders', 6000, 120), 'orders mirrored');

# ferryd killed mid-stream and restarted: re-sent records on B
my ($out, $err) = ('', '');
my $bg = IPC::Run::start([ $A->kt_path, '-b', $A->bootstrap, 'produce', 'orders', '--count', 30000,
		'--start', 6000, '--rate', 10000 ], '>', \$out, '2>', \$err);
ok(poll_until(sub { count_or_zero($B, 'A.orders') > 12000 }, 120, 'stream flowing'), 'stream flowing');
is($f->kill9, 137, 'ferryd killed with SIGKILL mid-stream');
$f->start;
$bg->finish;
# (the count includes re-sent duplicates: wait for the records themselves)
my $sc;
poll_until(sub { $sc = $B->seqcheck('A.orders', count => 36000); $sc->{missing} == 0 }, 300,
	'every record on B');
is($sc->{missing}, 0, "nothing lost after the restart ($sc->{summary})");
note("re-sent after the kill: $sc->{duplicates}");

# groups committed mid-stream on the live stream too
$A->group_commit('billing', 'orders', 0, 5000);    # moves billing on p0 past the kill point

# --- an active group on B is never overwritten ---
# (active on B before it commits on A: an unknown group on B is idle, and
# idle groups are synced; the member stays until killed below)
my $join = IPC::Run::start([ $B->kt_path, '-b', $B->bootstrap, 'join', 'live', 'A.orders',
		'--seconds', 900 ]);
ok(poll_until(sub {
			my (undef, $o) = run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'groups', 'B' ]);
			$o =~ /^B\s+live\s+Stable/m;
		}, 120, 'live active on B'), 'group live is active on B');
$A->group_commit('live', 'orders', 0, 100);

# --- planned failover ---
my ($rc, $json);
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'failover', 'A->B', '--groups',
		'billing|pricing|audit|live', '--drain', '|', 'json' ], timeout => 300);
is($rc, 0, 'failover --drain') or diag($err);
$json = decode_json($out || '{}');
like($json->{message} // '', qr/failover A->B: 3 groups committed on B; refused: live \(refused: 1 active member on B/,
	'3 groups committed, the active one refused with the reason');
my %report;
for my $row (@{ $json->{result}{rows} // [] })
{
	my ($g, $t, $p, $up, $down, $res) = @$row;
	$report{$g}{$p} = [ $up, $down, $res ] if $t ne '';
	like($res, qr/^refused: 1 active member on B/, 'live refused') if $g eq 'live';
}
# two group-sync rounds that saw live active on B
my $lp = $f->log_position;
$lp = $f->wait_for_log(qr/A->B: group live is active on B/, 60, $lp);
ok($lp && $f->wait_for_log(qr/A->B: group live is active on B/, 60, $lp),
	'group sync rounds pass live by');
is_deeply($B->group_offsets('live'), {}, 'the active group was not touched, by failover nor sync');
my (undef, $metrics) = run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'metrics' ]);
like($metrics, qr/^checkpoint-latency-ms\s+flow="A->B"\S*\s+\d+/m, 'checkpoint-latency-ms is measured');
$join->kill_kill;

# the same groups on B resume at exactly the next unprocessed record
for my $g (qw(billing pricing audit))
{
	my $topic = $commit{$g}{topic};
	my $b_off = $B->group_offsets($g)->{"A.$topic"} // {};
	my %a_seq;
	for my $r (@{ $A->dump($topic) }) { $a_seq{ $r->{partition} }{ $r->{offset} } = $r->{headers}{seq}; }
	my %b_recs;
	push @{ $b_recs{ $_->{partition} } }, $_ for @{ $B->dump("A.$topic") };
	my ($reread, $skipped, $parts) = (0, 0, 0);
	for my $p (sort keys %{ $report{$g} })
	{
		my ($up, $down, $res) = @{ $report{$g}{$p} };
		is($res, 'committed', "$g $topic\[$p]: committed");
		is($b_off->{$p}, $down, "$g $topic\[$p]: B's group offset is the reported translation");
		my %processed = map { $a_seq{$p}{$_} => 1 } grep { $_ < $up } keys %{ $a_seq{$p} };
		my %resumed = map { $_->{headers}{seq} => 1 } grep { $_->{offset} >= $down } @{ $b_recs{$p} };
		$reread += grep { $processed{$_} } keys %resumed;
		$skipped += grep { !$processed{$_} && !$resumed{$_} } values %{ $a_seq{$p} };
		$parts++;
	}
	ok($parts > 0, "$g: partitions reported");
	is($reread, 0, "$g ($topic): 0 records re-read after failover");
	is($skipped, 0, "$g ($topic): 0 records skipped after failover");
}

# --- MM2's own RemoteClusterUtils reads ferry's topics ---
my $jdir = tmp_dir('java');
my $cp = kafka_libs() . '/*';
($rc, $out, $err) = run_cmd([ 'javac', '-d', $jdir, '-cp', $cp, repo_root() . '/regress/java/Rcu.java' ]);
is($rc, 0, 'compile the RemoteClusterUtils probe') or diag($err);
my @java = ('java', '-cp', "$jdir:$cp", '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', 'Rcu', $B->bootstrap);
ok(poll_until(sub { (run_cmd([ @java, 'hops', 'A' ]))[1] =~ /^1$/m }, 60, 'hops'),
	'RemoteClusterUtils.replicationHops(B, A) = 1 (heartbeats mirrored)');
($rc, $out) = run_cmd([ @java, 'upstream' ]);
like($out, qr/^\[A\]$/m, 'RemoteClusterUtils.upstreamClusters(B) = [A]');
ok(poll_until(sub {
			my (undef, $o) = run_cmd([ @java, 'translate', 'A', 'billing' ]);
			my %t = map { my ($t, $p, $off) = split; ("$t $p" => $off) } split /\n/, $o;
			!grep { ($t{"A.orders $_"} // -1) != $report{billing}{$_}[1] } keys %{ $report{billing} };
		}, 60, 'checkpoints'), 'RemoteClusterUtils.translateOffsets reads the same exact offsets from ferry\'s checkpoints');

# --- group offset sync to idle groups ---
$A->group_commit('reports', 'orders', 1, 4321);
ok(poll_until(sub { ($B->group_offsets('reports')->{'A.orders'}{1} // -1) >= 0 }, 60, 'reports synced'),
	'an idle group is synced to B');
my $rline;
poll_until(sub {
		($rline) = grep { /^A\.orders 1 / } split /\n/, (run_cmd([ @java, 'translate', 'A', 'reports' ]))[1];
		defined $rline;
	}, 60, 'the checkpoint of reports');
is($B->group_offsets('reports')->{'A.orders'}{1}, (split / /, $rline // '')[2],
	'with the translated offset');

# --- time-based reset ---
my @p0 = grep { $_->{partition} == 0 } @{ $A->dump('orders') };
my $target = $p0[11000];    # in the second run: later than every record before it
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'reset-offsets', 'A', '--group', 'billing',
		'--to-datetime', $target->{timestamp} ]);
is($rc, 0, 'reset-offsets by epoch milliseconds') or diag($err);
is($A->group_offsets('billing')->{orders}{0}, $target->{offset}, 'the group now starts at the record of that time');
my @t = gmtime(int($p0[100]{timestamp} / 1000));
my $iso = sprintf('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0],
	$p0[100]{timestamp} % 1000);
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'reset-offsets', 'A', '--group', 'billing',
		'--to-datetime', $iso ]);
is($rc, 0, "reset-offsets to $iso") or diag($err);
is($A->group_offsets('billing')->{orders}{0}, $p0[100]{offset}, 'ISO 8601 works the same');

# --- a drain holds only its own session ---
# B stopped: what A takes now cannot be mirrored, so a drain cannot end
# until B is back, whatever the timing
$B->pause;
$A->produce('orders', count => 30, start => 700000);
ok(poll_until(sub { $f->lag('A->B', 'orders') >= 30 }, 60, 'lag seen'), 'ferryd sees the 30 records it cannot mirror yet');
my $pos = $f->log_position;
my ($dout, $derr) = ('', '');
my $drain = IPC::Run::start([ $ferry, '-s', $f->socket_path, 'failover', 'A->B', '--groups', 'billing',
		'--drain', '|', 'json' ], '>', \$dout, '2>', \$derr);
$pos = $f->wait_for_log(qr/failover A->B: draining/, 60, $pos);
ok($pos, 'the failover is draining');
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'flows' ], timeout => 30);
is($rc, 0, 'another session is answered while it drains') or diag($err);
like($out, qr/^A->B\s+running/m, 'with the flows');
my $resp = HTTP::Tiny->new(timeout => 30)->get($f->metrics_url);
is($resp->{status}, 200, '/metrics is served while it drains');
ok(eval { $drain->pump_nb; 1 } && $drain->pumpable, 'the draining client is still waiting');
# a client that gives up cancels its failover; ferryd runs on
my $quitter = IPC::Run::start([ $ferry, '-s', $f->socket_path, 'failover', 'A->B', '--groups',
		'billing', '--drain' ], '>', \my $qout, '2>', \my $qerr);
$pos = $f->wait_for_log(qr/failover A->B: draining/, 60, $pos);
ok($pos, 'a second failover drains');
$quitter->kill_kill;
ok($f->wait_for_log(qr/left while `failover A->B --groups billing --drain` was waiting; cancelled/, 60, $pos),
	'it is cancelled when its client leaves');
ok(poll_until(sub {
			(run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'audit', '20' ]))[1]
			  =~ /failover A->B --groups billing --drain\s+error\s+cancelled: the session ended/;
		}, 30, 'cancel audited'), 'and the audit trail says so');
$B->resume;
$drain->finish;
is(($drain->results)[0], 0, 'the first failover ends once B is back') or diag($derr);
like((eval { decode_json($dout) } // {})->{message} // '', qr/failover A->B: 1 group committed on B/,
	'and commits billing');
is($B->seqcheck('A.orders', count => 30, start => 700000)->{missing}, 0,
	'the drain ended with the 30 records on B');

# --- failback: what the standby took after the failover goes back ---
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'pause', 'flow', 'A->B' ]);
is($rc, 0, 'A->B paused (the old primary is "down")');
$A->produce('orders', count => 60, start => 900000);    # written on A, never mirrored
$B->produce('A.orders', count => 90, start => 800000);  # written on B after the failover
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'failback', 'A->B', '|', 'json' ]);
is($rc, 0, 'failback A->B') or diag($err);
$json = decode_json($out || '{}');
like($json->{message} // '', qr/failback of A->B runs as flow failback:A->B \(A->B paused\)\. 60 records on A were never mirrored to B/,
	'the report counts the records only the old primary has');
my $only = 0;
$only += $_->[4] // 0 for @{ $json->{result}{rows} // [] };
is($only, 60, 'listed per partition');
# the heartbeats topic is mirrored A->B but never comes back, and the
# heartbeat thread writes it on A while A->B is paused: not in the report
is_deeply([ grep { ($_->[0] // '') =~ /heartbeats/ } @{ $json->{result}{rows} // [] } ], [],
	  'the heartbeats topic is no row of the report');
ok(poll_until(sub { $A->seqcheck('orders', count => 90, start => 800000)->{missing} == 0 }, 120,
		'records back on A'), 'what B took after the failover arrives on A, under its own name');
my $back = $A->seqcheck('orders', count => 36000);
is($back->{duplicates}, 0, 'nothing that came from A goes back to A');
is($back->{missing}, 0, 'and A still has all of its own');
is($A->seqcheck('orders', count => 90, start => 800000)->{duplicates}, 0, 'each record back once');
ok(!exists $A->topics->{'B.A.orders'}, 'no B.A.orders: the failback maps A.orders back to orders');
is($f->stop, 0, 'stop');
$f->start;
ok(poll_until(sub { (run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'flows' ]))[1] =~ /^failback:A->B\s+running/m }, 60,
		'failback after restart'), 'the failback flow runs again after a restart');
like((run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'flows' ]))[1], qr/^A->B\s+paused/m, 'and A->B stays paused');
$B->produce('A.orders', count => 10, start => 800090);
ok(poll_until(sub { $A->seqcheck('orders', count => 100, start => 800000)->{missing} == 0 }, 120,
		'more back'), 'and goes on');
is($A->seqcheck('orders', count => 100, start => 800000)->{duplicates}, 0, 'nothing re-sent');
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'failback', 'A->B' ]);
like($err, qr/failback:A->B runs already/, 'a second failback is refused');

# --- bad input ---
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'reset-offsets', 'A', '--group', 'billing',
		'--to-datetime', 'yesterday' ]);
like($err, qr/DATETIME: expected ISO 8601 with a zone, like 2026-11-22T10:00:00Z, or epoch milliseconds; got "yesterday"/,
	'a malformed timestamp is named');
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'reset-offsets', 'A', '--group', 'billing',
		'--to-datetime', '2026-11-22T10:00:00' ]);
like($err, qr/DATETIME: expected ISO 8601 with a zone/, 'a time without a zone is refused');
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'reset-offsets', 'Z', '--group', 'billing',
		'--to-datetime', '0' ]);
like($err, qr/no cluster Z in the running configuration/, 'an unknown cluster is named');
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'failover', 'A->C', '--groups', 'x' ]);
like($err, qr/no flow A->C in the running configuration/, 'an unknown flow is named');
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'failover', 'A->B', '--groups', 'nosuchgroup' ]);
like($err, qr/no consumer group on A matches nosuchgroup/, 'an unknown group is named');
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'failover', 'A->B', '--groups', '[' ]);
like($err, qr/REGEX: invalid regular expression/, 'a bad group regex is named');

is($f->stop, 0, 'ferryd exits 0');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');

# --- a history pruned by its count cap: "cannot translate", never a guess ---
# (a ferryd of its own, so the small retention touches only this topic)
sub delete_records
{
	my ($k, $topic, $partition, $before) = @_;
	my $file = tmp_dir('delrec') . "/$topic.json";
	open(my $fh, '>', $file) or die "$file: $!";
	print $fh encode_json({ version => 1,
			partitions => [ { topic => $topic, partition => $partition, offset => $before } ] });
	close $fh;
	my ($drc, $dout, $derr) = run_cmd([ 'java', '-cp', kafka_libs() . '/*',
			'org.apache.kafka.tools.DeleteRecordsCommand', '--bootstrap-server', $k->bootstrap,
			'--offset-json-file', $file ], timeout => 120);
	return $drc == 0 ? 1 : (diag("$dout$derr"), 0)[1];
}

$A->create_topic('txlog', 1);
# 50 transactions of 100 records: a commit marker, so a sync, after each
$A->produce('txlog', count => 5000, start => 50000, partition => 0, transactional_id => 'ferry-090-tx');
my $p = Ferry::Test::Ferryd->new(
	name => 'pruned',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "A->B.topics = txlog\n"
		  . "refresh.topics.interval.seconds = 1\n"
		  . "emit.checkpoints.interval.seconds = 1\n"
		  . "sync.group.offsets.enabled = true\n"
		  . "sync.group.offsets.interval.seconds = 1\n"
		  . "A->B.groups = idle, tail, gone\n"
		  . "ferry.offset-syncs.retention = 10\n"
		  . "ferry.positions.flush.interval.ms = 200\n"));
$p->start;
ok($p->wait_for_log(qr/A->B: running/, 120), 'pruned: flow running');
ok(poll_until(sub { $B->seqcheck('A.txlog', count => 5000, start => 50000)->{missing} == 0 }, 300,
		'txlog mirrored'), 'the transactional topic is mirrored');
# a drain waits until every position (and the syncs with it) is saved
($rc, $out, $err) = run_cmd([ $ferry, '-s', $p->socket_path, 'failover', 'A->B', '--groups', 'nomatch',
		'--drain' ], timeout => 300);
like($err, qr/no consumer group on A matches nomatch/, 'pruned: drained and saved');

my $tx_a = $A->dump('txlog');    # before anything is deleted
my @tx = map { $_->{offset} } @$tx_a;
my ($last_gap) = grep { $tx[$_] + 1 != $tx[ $_ + 1 ] } reverse 0 .. $#tx - 1;
my $tail_at = $tx[$last_gap] + 1;    # on the last commit marker but one
my %seq_at = map { $_->{offset} => $_->{headers}{seq} } @$tx_a;
# the source and the target both drop what lies below offset 10 of A
ok(delete_records($A, 'txlog', 0, 10), 'DeleteRecords: txlog on A before offset 10');
my ($b10) = grep { $_->{headers}{seq} == $seq_at{10} } @{ $B->dump('A.txlog') };
ok(delete_records($B, 'A.txlog', 0, $b10->{offset}), "DeleteRecords: A.txlog on B before $b10->{offset}, its copy");
$A->group_commit('idle', 'txlog', 0, 12);        # older than the kept history
$A->group_commit('gone', 'txlog', 0, 3);         # below the source's log start
$A->group_commit('tail', 'txlog', 0, $tail_at);  # inside the kept history
ok($p->wait_for_log(qr/A->B: group idle: offset 12 of txlog\[0\] cannot be translated \(below the kept offset-sync history\): no checkpoint, no offset sync/, 60),
	'the checkpoint round says why idle gets nothing');
my %ck;
ok(poll_until(sub {
			%ck = ();
			for my $g (qw(idle tail gone))
			{
				my ($line) = grep { /^A\.txlog 0 / } split /\n/, (run_cmd([ @java, 'translate', 'A', $g ]))[1];
				$ck{$g} = (split / /, $line)[2] if defined $line;
			}
			defined $ck{tail} && defined $ck{gone};
		}, 60, 'checkpoints of tail and gone'), 'tail and gone have checkpoints');
ok(!exists $ck{idle}, 'idle has no checkpoint: its offset cannot be translated');
is($ck{gone}, $b10->{offset}, 'gone (below the log start): the checkpoint is where the earliest record is on B');
ok(poll_until(sub { exists $B->group_offsets('tail')->{'A.txlog'} }, 60, 'tail synced'), 'tail is synced to B');
is_deeply($B->group_offsets('idle'), {}, 'idle is not synced to B');

($rc, $out, $err) = run_cmd([ $ferry, '-s', $p->socket_path, 'failover', 'A->B', '--groups', 'idle|tail|gone',
		'|', 'json' ], timeout => 120);
is($rc, 0, 'failover of the pruned flow') or diag($err);
$json = decode_json($out || '{}');
like($json->{message} // '', qr/failover A->B: 2 groups committed on B; refused: idle \(refused: offset 12 of txlog\[0\] cannot be translated: below the kept offset-sync history, which is exact from offset (\d+)\)/,
	'failover refuses idle, naming the partition and why');
my ($exact_from) = ($json->{message} // '') =~ /which is exact from offset (\d+)/;
ok(($exact_from // 0) > $tx[12], "the kept history starts above idle's offset (at " . ($exact_from // '?') . ')');
my %rows;
$rows{ $_->[0] } = $_ for @{ $json->{result}{rows} // [] };
is_deeply($B->group_offsets('idle'), {}, 'nothing committed for idle on B');
like($rows{gone}[5] // '', qr/^committed: below the source's log start/, 'gone is committed below the log start');
is($rows{gone}[4], $b10->{offset}, "gone resumes at B's copy of the source's earliest record");
is($rows{tail}[5], 'committed', 'tail committed');
my $b_tx = $B->dump('A.txlog');
for my $g (qw(tail gone))
{
	my ($up, $down) = @{ $rows{$g} // [] }[ 3, 4 ];
	is($B->group_offsets($g)->{'A.txlog'}{0}, $down, "$g: B's group offset is the reported translation");
	my %processed = map { $seq_at{$_} => 1 } grep { $_ < $up } keys %seq_at;
	my %resumed = map { $_->{headers}{seq} => 1 } grep { $_->{offset} >= $down } @$b_tx;
	# records deleted at the source (below 10) are not there to be read
	my $reread = grep { $processed{$_} } keys %resumed;
	my $skipped = grep { $_ >= 10 && !$processed{ $seq_at{$_} } && !$resumed{ $seq_at{$_} } } keys %seq_at;
	is($reread, 0, "$g (transactional, pruned history): 0 records re-read after failover");
	is($skipped, 0, "$g (transactional, pruned history): 0 records skipped after failover");
}
is($p->stop, 0, 'pruned: ferryd exits 0');
is_deeply([ $p->sanitizer_reports ], [], 'pruned: no sanitizer reports');
done_testing();
