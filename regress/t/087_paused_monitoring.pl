# 087_paused_monitoring: monitoring stays true while a flow is paused.
# A paused flow runs no consumer, yet its lag is what matters then: `show
# lag` (json) and /metrics keep its partitions, with the lag growing by
# exactly the records produced at the source meanwhile (sequence-numbered,
# so per partition exactly). Counters never go backwards while ferryd runs
# (Prometheus reads a drop as a restart): every counter series of /metrics
# is compared before and after a pause, while paused, after a resume, after
# a commit while paused and after a commit that restarts the running flow;
# `show flows` counts records since ferryd started too. After the resume
# every record arrives (0 lost) and the lag returns to 0.
use strict;
use warnings FATAL => 'all';

use HTTP::Tiny;
use JSON::PP;
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my ($A, $B) = Ferry::Test::Kafka->start_clusters('A', 'B');
# kt produce puts seq on partition seq % 3: 1000 records on each
$A->create_topic('orders', 3);
$A->produce('orders', count => 3000);

my $f = Ferry::Test::Ferryd->new(
	name => 'pm',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "A->B.topics = orders\n"
		  . "emit.checkpoints.interval.seconds = 1\n"
		  . "ferry.canary.enabled = false\n"));
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'A->B running');
ok(wait_count($B, 'A.orders', 3000, 120), 'orders mirrored');
# a group on A: checkpoints are written every second (a counter that moves)
$A->group_commit('billing', 'orders', 0, 400);

sub ferry { return $f->ferry(@_); }

sub ferry_json
{
	my ($rc, $out, $err) = ferry(@_, '|', 'json');
	die "ferry @_: $err" if $rc != 0;
	return decode_json($out);
}

# { partition => row } of orders in `show lag A->B`
sub lag_rows
{
	my %r = map { ($_->[2] => $_) } grep { $_->[1] eq 'orders' }
	  @{ ferry_json('show', 'lag', 'A->B')->{result}{rows} };
	return \%r;
}

# /metrics as { name => { labels => value } } and { name => type }
sub metrics
{
	my $resp = HTTP::Tiny->new(timeout => 10)->get($f->metrics_url);
	die "GET /metrics: $resp->{status}" unless $resp->{status} == 200;
	my (%m, %type);
	for (split /\n/, $resp->{content})
	{
		$type{$1} = $2 if /^# TYPE (\S+) (\S+)$/;
		$m{$1}{$2} = $3 + 0 if /^(\w+)\{(.*)\} (\S+)$/;
	}
	return (\%m, \%type);
}

sub flow_value
{
	my ($m, $name) = @_;
	my ($v) = map { $m->{$name}{$_} } grep { /^flow="A->B",/ } keys %{ $m->{$name} // {} };
	return $v;
}

# { partition => lag } of orders in /metrics
sub metrics_lag
{
	my ($m) = @_;
	my %lag;
	for my $l (keys %{ $m->{ferry_partition_lag} // {} })
	{
		$lag{$1} = $m->{ferry_partition_lag}{$l} if $l =~ /^flow="A->B",.*topic="orders",partition="(\d+)"$/;
	}
	return \%lag;
}

# every counter series of BEFORE is in AFTER, not lower
sub counter_problems
{
	my ($before, $after, $types) = @_;
	my (@fell, @gone);
	for my $name (sort grep { ($types->{$_} // '') eq 'counter' } keys %$before)
	{
		for my $l (sort keys %{ $before->{$name} })
		{
			my $a = $after->{$name}{$l};
			if (!defined $a) { push @gone, "$name\{$l} vanished"; }
			elsif ($a < $before->{$name}{$l}) { push @fell, "$name\{$l} fell from $before->{$name}{$l} to $a"; }
		}
	}
	return (\@fell, \@gone);
}

sub counters_kept
{
	my ($before, $after, $types, $what) = @_;
	my ($fell, $gone) = counter_problems($before, $after, $types);
	is_deeply([ @$fell, @$gone ], [], "$what: no counter went backwards or vanished");
}

# After a restart the new run publishes its partitions within a second or
# two (until then their series are absent, as for any starting flow):
# samples /metrics until every series of BEFORE is back; none may ever be
# lower. Returns the last sample.
sub counters_back
{
	my ($before, $types, $what) = @_;
	my (@fell, $gone, $m);
	poll_until(sub {
			($m) = metrics();
			my ($f, $g) = counter_problems($before, $m, $types);
			push @fell, @$f;
			$gone = $g;
			return !@$g;
		}, 30, "$what: every counter series back");
	is_deeply(\@fell, [], "$what: no counter went backwards");
	is_deeply($gone, [], "$what: no counter series vanished for good");
	return $m;
}

ok(poll_until(sub { my $r = lag_rows(); keys(%$r) == 3 && !grep { ($_->[5] // -1) != 0 } values %$r },
		60, 'lag 0'), 'caught up: orders at lag 0 on 3 partitions');
ok(poll_until(sub { (flow_value((metrics())[0], 'ferry_checkpoint_count_total') // 0) >= 2 }, 60,
		'checkpoints'), 'checkpoints are counted');
my ($m0, $types) = metrics();
my $rec0 = flow_value($m0, 'ferry_record_count_total');
cmp_ok($rec0, '>=', 3000, "record count before the pause ($rec0)");
cmp_ok(flow_value($m0, 'ferry_byte_count_total'), '>', 0, 'byte count before the pause');
is($types->{$_}, 'counter', "$_ is a counter")
  for qw(ferry_record_count_total ferry_byte_count_total ferry_checkpoint_count_total
  ferry_state_store_errors_total ferry_partition_offsets_never_mirrored_total);

# --- paused: the lag is shown and grows exactly ---
my ($rc, $out, $err) = ferry('pause', 'flow', 'A->B');
like($out, qr/flow A->B paused/, 'pause flow A->B') or diag($err);
my $r = lag_rows();
is(scalar(keys %$r), 3, 'show lag lists the paused flow\'s 3 partitions');
is_deeply([ map { [ $r->{$_}[5], $r->{$_}[8] ] } 0 .. 2 ], [ map { [ 0, 'paused' ] } 0 .. 2 ],
	'at lag 0, state paused');
my ($m1) = metrics();
is(flow_value($m1, 'ferry_record_count_total'), flow_value((metrics())[0], 'ferry_record_count_total'),
	'record count holds still while paused');
cmp_ok(flow_value($m1, 'ferry_record_count_total'), '>=', $rec0, 'and is not lower than before the pause');
is($m1->{ferry_flow_state}{'flow="A->B",source="A",target="B",state="paused"'}, 1, 'flow state paused');
is_deeply(metrics_lag($m1), { 0 => 0, 1 => 0, 2 => 0 }, '/metrics keeps the lag series');
counters_kept($m0, $m1, $types, 'pause');
my ($show) = grep { $_->[0] eq 'A->B' } @{ ferry_json('show', 'flows')->{result}{rows} };
is_deeply([ @$show[ 1, 2, 3 ] ], [ 'paused', 1, 3 ], 'show flows: paused, 1 topic, 3 partitions');
is($show->[4], flow_value($m1, 'ferry_record_count_total'), 'show flows records = ferry_record_count_total');
is($show->[5], flow_value($m1, 'ferry_byte_count_total'), 'show flows bytes = ferry_byte_count_total');

$A->produce('orders', count => 300, start => 3000);   # 100 per partition
$r = lag_rows();
is_deeply([ map { $r->{$_}[5] } 0 .. 2 ], [ 100, 100, 100 ], 'lag 100 on each partition after 300 records');
is_deeply([ map { [ $r->{$_}[3], $r->{$_}[4] ] } 0 .. 2 ], [ map { [ 1100, 1000 ] } 0 .. 2 ],
	'end offset 1100, position 1000 (as saved)');
is($f->lag('A->B', 'orders'), 300, 'summed lag 300');
my ($m2) = metrics();
is_deeply(metrics_lag($m2), { 0 => 100, 1 => 100, 2 => 100 }, '/metrics: the same lag');
is_deeply([ map { $m2->{ferry_partition_end_offset}{"flow=\"A->B\",source=\"A\",target=\"B\",topic=\"orders\",partition=\"$_\""} } 0 .. 2 ],
	[ 1100, 1100, 1100 ], '/metrics: end offsets');
counters_kept($m1, $m2, $types, 'paused, source growing');

$A->produce('orders', count => 150, start => 3300);   # 50 more per partition
is_deeply([ map { $_->[5] } @{ lag_rows() }{ 0 .. 2 } ], [ 150, 150, 150 ], 'the lag grows: 150 each');
is($f->lag('A->B', 'orders'), 450, 'summed lag 450');

# a commit while paused: the flow takes the settings when resumed, stays paused
($rc, $out, $err) = ferry({ stdin => "configure\nset A->B.refresh.topics.interval.seconds 7\ncommit\nexit\n" }, '-e');
is($rc, 0, 'commit while paused') or diag($err);
like(ferry_json('show', 'flows')->{result}{rows}[0][1], qr/^paused$/, 'still paused');
is_deeply([ map { $_->[5] } @{ lag_rows() }{ 0 .. 2 } ], [ 150, 150, 150 ], 'lag still shown: 150 each');
my ($m3) = metrics();
is_deeply(metrics_lag($m3), { 0 => 150, 1 => 150, 2 => 150 }, '/metrics: the same lag');
counters_kept($m2, $m3, $types, 'commit while paused');

# --- resume: everything arrives, lag back to 0, counters go on ---
($rc, $out, $err) = ferry('resume', 'flow', 'A->B');
like($out, qr/flow A->B resumed/, 'resume flow A->B') or diag($err);
ok(wait_count($B, 'A.orders', 3450, 120), '3450 records on B');
is($B->seqcheck('A.orders', count => 3450, exact => 1)->{exit}, 0, 'every record, once, in order');
ok(poll_until(sub { my $x = lag_rows(); keys(%$x) == 3 && !grep { ($_->[5] // -1) != 0 } values %$x },
		60, 'lag 0 again'), 'lag back to 0');
my $m4;
ok(poll_until(sub { ($m4) = metrics(); flow_value($m4, 'ferry_record_count_total') >= $rec0 + 450 }, 60,
		'records counted'), 'record count goes on from where it was: +450');
is_deeply(metrics_lag($m4), { 0 => 0, 1 => 0, 2 => 0 }, '/metrics: lag 0');
counters_kept($m3, $m4, $types, 'resume');

# --- a commit that restarts the running flow keeps the counters too ---
($rc, $out, $err) = ferry({ stdin => "configure\nset A->B.tasks.max 2\ncommit\nexit\n" }, '-e');
is($rc, 0, 'commit tasks.max 2') or diag($err);
like($out, qr/restarted: A->B/, 'the commit restarts A->B');
my $m5 = counters_back($m4, $types, 'restarting commit');
$A->produce('orders', count => 90, start => 3450);
ok(wait_count($B, 'A.orders', 3540, 120), 'and it mirrors on');
my $m6;
ok(poll_until(sub { ($m6) = metrics(); flow_value($m6, 'ferry_record_count_total') >= flow_value($m4, 'ferry_record_count_total') + 90 }, 60,
		'records counted'), 'record count: +90 on top');
counters_kept($m5, $m6, $types, 'after the restart');
is($B->seqcheck('A.orders', count => 3540, exact => 1)->{exit}, 0, 'every record, once, in order');

is($f->stop, 0, 'clean stop');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
