# 110_sql_cmds: the control commands the PostgreSQL extension reads,
# checked against real state between two real clusters: `show flows`
# (source, target, lag, latency ms), `show lag`'s lag seconds (null while
# the record at the position was not fetched, 0 at lag 0, positive while
# the target does not acknowledge), `show offset-syncs` (each sync pairs
# the same record on both sides), `translate offset` and `translate group`
# (the group's committed offset on A translates to the offset of the same
# record on B), `show checkpoints` (what MM2's checkpoints topic on B
# says), `show heartbeats` (what the heartbeats topic holds), `show
# placement`'s basis and allowed, `show audit --since/--after` (pages,
# oldest first); bad input and the auditor role.
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
$A->create_topic('orders', 3);
$A->produce('orders', count => 3000);
# records on B before ferry's: downstream offsets differ from upstream ones
$B->create_topic('A.orders', 3);
$B->produce('A.orders', count => 7, partition => 1, start => 800000);
$B->produce('A.orders', count => 2, partition => 2, start => 800100);
$A->create_topic('customers-eu', 1);
$A->produce('customers-eu', count => 100, start => 90000);

# { partition => [ values by offset ] } of TOPIC on cluster C
sub by_offset
{
	my ($c, $topic) = @_;
	my %v;
	$v{ $_->{partition} }[ $_->{offset} ] = $_->{value} for @{ $c->dump($topic) };
	return \%v;
}
my $a_orders = by_offset($A, 'orders');
is(scalar(keys %$a_orders), 3, 'orders has records in its 3 partitions on A');

# group billing stops mid-partition on each, on 0 at the end of it
my %commit = map { ($_ => int(@{ $a_orders->{$_} } / ($_ + 2))) } 1, 2;
$commit{0} = scalar @{ $a_orders->{0} };
$A->group_commit('billing', 'orders', $_, $commit{$_}) for sort keys %commit;

my $f = Ferry::Test::Ferryd->new(
	name => 'sql',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "A->B.topics = orders, customers-eu\n"
		  . "refresh.topics.interval.seconds = 1\n"
		  . "emit.checkpoints.interval.seconds = 1\n"
		  . "emit.heartbeats.interval.seconds = 1\n"
		  . "A->B.groups = billing\n"
		  . "ferry.positions.flush.interval.ms = 200\n"
		  . "A.ferry.labels = region=eu\n"
		  . "B.ferry.labels = region=us\n"
		  . "ferry.placement.rules = pii\n"
		  . "ferry.placement.pii.topics = customers-.*\n"
		  . "ferry.placement.pii.require = region=eu\n"
		  . "ferry.placement.pii.category = personal-data\n"
		  . "ferry.placement.pii.basis = GDPR Art. 44\n"
		  . "ferry.control.group = nogroup\n"
		  . "ferry.control.role.auditor = user:nobody\n"));
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'flow running');
ok(wait_count($B, 'A.orders', 3009, 120), 'orders mirrored');

sub ferry { return $f->ferry(@_); }

sub ferry_json
{
	my ($rc, $out, $err) = ferry(@_, '|', 'json');
	die "ferry @_: $err" if $rc != 0;
	return decode_json($out);
}

# the rows of a command as [ { column => value } ]
sub rows
{
	my $j = ferry_json(@_);
	my @cols = @{ $j->{result}{columns} };
	return [ map { my $r = $_; +{ map { ($cols[$_] => $r->[$_]) } 0 .. $#cols } } @{ $j->{result}{rows} } ];
}

sub columns { return ferry_json(@_)->{result}{columns}; }

sub orders_lag { return [ grep { $_->{topic} eq 'orders' } @{ rows('show', 'lag', 'A->B') } ]; }

# --- show lag: lag seconds 0 at lag 0 ---
is_deeply(columns('show', 'lag'),
	[ 'flow', 'topic', 'partition', 'end offset', 'position', 'lag', 'lag seconds', 'never mirrored',
	  'state' ], 'show lag: lag seconds after lag');
ok(poll_until(sub { my $l = orders_lag(); @$l == 3 && !grep { ($_->{lag} // -1) != 0 } @$l }, 60,
		'lag 0'), 'orders caught up');
my $lag = orders_lag();
is_deeply([ map { $_->{'lag seconds'} } @$lag ], [ 0, 0, 0 ], 'lag seconds 0 where lag is 0');

# --- show flows ---
is_deeply(columns('show', 'flows'),
	[ 'flow', 'state', 'topics', 'partitions', 'records', 'bytes', 'reason', 'source', 'target', 'lag',
	  'latency ms' ], 'show flows: the new columns after reason');
my ($fl) = grep { $_->{flow} eq 'A->B' } @{ rows('show', 'flows') };
is_deeply([ @$fl{qw(source target)} ], [ 'A', 'B' ], 'show flows: source and target');
# (the heartbeats topic gets a record a second: read both until they agree)
my ($sum, $flag, $lagrows);
ok(poll_until(sub {
			$lagrows = rows('show', 'lag', 'A->B');
			$sum = 0;
			$sum += $_->{lag} // 'NaN' for @$lagrows;
			($flag) = map { $_->{lag} } grep { $_->{flow} eq 'A->B' } @{ rows('show', 'flows') };
			defined $flag && $flag == $sum;
		}, 60, 'flow lag'), "show flows: lag is the sum of show lag's ($sum)")
  or diag(explain($lagrows), 'show flows: ', $flag // 'null');
# latency ms is ferry_replication_latency_ms (same 10-20 s window): equal
# when both are read within one window
sub metric_latency
{
	my $m = HTTP::Tiny->new(timeout => 10)->get($f->metrics_url)->{content} // '';
	my ($v) = $m =~ /^ferry_replication_latency_ms\{flow="A->B"[^}]*\} (\S+)$/m;
	return $v;
}
my ($shown, $metric);
ok(poll_until(sub {
			$metric = metric_latency();
			($shown) = map { $_->{'latency ms'} } grep { $_->{flow} eq 'A->B' } @{ rows('show', 'flows') };
			defined $metric && defined $shown && $shown == int($metric + 0.5);
		}, 60, 'latency'), "show flows: latency ms ($shown) = ferry_replication_latency_ms, rounded");

# --- show offset-syncs: each sync pairs the same record on A and B ---
my $b_orders = by_offset($B, 'A.orders');
for my $p (0 .. 2)
{
	my $s = rows('show', 'offset-syncs', 'A->B', 'orders', $p);
	ok(@$s > 0, "show offset-syncs orders $p: " . scalar(@$s) . ' sync(s)');
	my @bad = grep { ($a_orders->{$p}[ $_->{upstream} ] // 'a') ne ($b_orders->{$p}[ $_->{downstream} ] // 'b') } @$s;
	is(scalar(@bad), 0, "orders $p: every sync's upstream and downstream are the same record");
	like($s->[0]{'recorded at'}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'recorded at: ISO 8601 UTC');
}

# --- translate offset / translate group: the same record on B ---
# where a consumer that processed everything below G on A resumes on B: the
# offset of the record that is at G on A (or B's end past A's end)
sub same_record
{
	my ($p, $g, $down) = @_;
	return $down == @{ $b_orders->{$p} } if $g == @{ $a_orders->{$p} };
	return ($b_orders->{$p}[$down] // '') eq $a_orders->{$p}[$g];
}
my %down;
for my $p (0 .. 2)
{
	my $t = rows('translate', 'offset', 'A->B', 'orders', $p, $commit{$p});
	is(scalar(@$t), 1, "translate offset orders $p $commit{$p}: one row");
	is($t->[0]{result}, 'translated', 'result translated');
	$down{$p} = $t->[0]{downstream};
	ok(defined $down{$p} && same_record($p, $commit{$p}, $down{$p}),
		"orders $p: $commit{$p} on A translates to " . ($down{$p} // 'null') . ' on B, the same record');
}
my $tg = rows('translate', 'group', 'A->B', 'billing');
is_deeply([ map { [ @$_{ 'group', 'topic', 'remote topic', 'partition', 'source offset', 'target offset', 'result' } ] } @$tg ],
	[ map { [ 'billing', 'orders', 'A.orders', $_, $commit{$_}, $down{$_}, 'translated' ] } 0 .. 2 ],
	'translate group: each partition as translate offset has it');
is_deeply($A->group_offsets('billing')->{orders}, \%commit, 'translate group committed nothing on A');
is_deeply($B->group_offsets('billing'), {}, '... nor on B');

# --- show checkpoints: what MM2's checkpoints topic on B says ---
sub topic_checkpoints
{
	my %c;
	for my $r (@{ $B->dump('A.checkpoints.internal') })
	{
		my ($g, $t, $p) = unpack('n/a* n/a* N', $r->{key});
		my (undef, $up, $down) = unpack('n q> q>', $r->{value});
		$c{"$g $t $p"} = [ $up, $down ];    # the last one per key stands (compacted)
	}
	return \%c;
}
my ($ck, $topic_ck);
ok(poll_until(sub {
			$ck = rows('show', 'checkpoints', 'billing');
			$topic_ck = topic_checkpoints();
			@$ck == 3 && !grep {
				my $k = $topic_ck->{"$_->{group} $_->{'remote topic'} $_->{partition}"} // [];
				($k->[0] // -1) != $_->{upstream} || ($k->[1] // -1) != $_->{downstream}
			} @$ck;
		}, 60, 'checkpoints'), 'show checkpoints billing = the last checkpoint per partition on B');
is_deeply([ map { [ @$_{ 'flow', 'group', 'topic', 'remote topic', 'partition', 'upstream', 'downstream' } ] } @$ck ],
	[ map { [ 'A->B', 'billing', 'orders', 'A.orders', $_, $commit{$_}, $down{$_} ] } 0 .. 2 ],
	'show checkpoints: the committed offsets and their translation');
like($ck->[0]{'emitted at'}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'emitted at: ISO 8601 UTC');
is_deeply(rows('show', 'checkpoints', 'nosuch'), [], 'show checkpoints of another group: none');
is(scalar(@{ rows('show', 'checkpoints') }), 3, 'show checkpoints: every group');

# --- show heartbeats: what the heartbeats topics hold ---
my $hb = rows('show', 'heartbeats');
is_deeply([ sort map { "$_->{source}->$_->{target} $_->{topic}" } @$hb ], [ 'A->B heartbeats', 'B->A heartbeats' ],
	'show heartbeats: an emitter per ordered pair');
for my $h (@$hb)
{
	my $key = pack('n/a* n/a*', $h->{source}, $h->{target});
	my $c = $h->{target} eq 'B' ? $B : $A;
	my ($s1, $n, $s2);
	ok(poll_until(sub {
				($s1) = map { $_->{sent} } grep { $_->{source} eq $h->{source} } @{ rows('show', 'heartbeats') };
				$n = grep { $_->{key} eq $key } @{ $c->dump($h->{topic}) };
				($s2) = map { $_->{sent} } grep { $_->{source} eq $h->{source} } @{ rows('show', 'heartbeats') };
				$s1 > 0 && $s1 == $n && $s2 == $n;
			}, 60, 'heartbeats'), "$h->{source}->$h->{target}: sent = the heartbeats on $h->{target} ($n)");
}
like($hb->[0]{'last sent'} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'last sent: ISO 8601 UTC');

# --- show placement: basis and allowed ---
my %pl;
ok(poll_until(sub { %pl = map { ("$_->{topic} $_->{cluster}" => $_) } @{ rows('show', 'placement') }; $pl{'customers-eu B'} }, 60,
		'placement'), 'show placement lists customers-eu on B');
is_deeply([ @{ $pl{'customers-eu B'} }{qw(basis allowed)} ], [ 'GDPR Art. 44', 'no' ],
	'customers-eu on B (region=us): not allowed, under GDPR Art. 44');
is_deeply([ @{ $pl{'customers-eu A'} }{qw(basis allowed)} ], [ 'GDPR Art. 44', 'yes' ],
	'customers-eu on its source: allowed');
is_deeply([ @{ $pl{'orders B'} }{qw(basis allowed)} ], [ '', 'yes' ], 'orders (no rule) on B: allowed');

# --- show audit --since / --after: pages, oldest first ---
my $all = rows('show', 'audit', 10000);
ok(@$all > 10, scalar(@$all) . ' audit entries');
my $k = $all->[-10]{id};
my $page = rows('show', 'audit', 3, '--after', $k);
is_deeply([ map { $_->{id} } @$page ], [ $k + 1, $k + 2, $k + 3 ], "show audit 3 --after $k: the next 3, oldest first");
$page = rows('show', 'audit', '--after', $k);
is($page->[0]{id}, $k + 1, 'show audit --after without COUNT');
my $t = $all->[-5]{time};
$page = rows('show', 'audit', 10000, '--since', $t);
ok(@$page >= 5 && !(grep { $_->{time} lt $t } @$page), "show audit --since $t: nothing earlier");
is_deeply([ map { $_->{id} } @$page ], [ sort { $a <=> $b } map { $_->{id} } @$page ], '... oldest first');
$page = rows('show', 'audit', 2, '--since', $t, '--after', $all->[-3]{id});
is_deeply([ map { $_->{id} } @$page ], [ $all->[-2]{id}, $all->[-1]{id} ], 'both: after the id, since the time');
is_deeply(rows('show', 'audit', '--since', '2999-01-01T00:00:00Z'), [], 'a time to come: none');

# --- lag seconds: null while paused, 0 when caught up, positive while B
# does not acknowledge ---
my ($rc, $out, $err) = ferry('pause', 'flow', 'A->B');
is($rc, 0, 'pause A->B') or diag($err);
$A->produce('orders', count => 300, start => 3000);
ok(poll_until(sub { my $l = orders_lag(); @$l == 3 && !grep { ($_->{lag} // 0) <= 0 } @$l }, 60, 'paused lag'),
	'paused: lag on every partition');
is_deeply([ map { $_->{'lag seconds'} } @{ orders_lag() } ], [ undef, undef, undef ],
	'paused: lag seconds null (the records at the positions were not fetched)');
($rc, $out, $err) = ferry('resume', 'flow', 'A->B');
is($rc, 0, 'resume A->B') or diag($err);
ok(poll_until(sub { my $l = orders_lag(); @$l == 3 && !grep { ($_->{lag} // -1) != 0 } @$l }, 60, 'lag 0'),
	'running: caught up');
is_deeply([ map { $_->{'lag seconds'} } @{ orders_lag() } ], [ 0, 0, 0 ], 'lag seconds 0 again');
$B->pause;
$A->produce('orders', count => 300, start => 3300);
my $stuck;
ok(poll_until(sub {
			($stuck) = grep { ($_->{lag} // 0) > 0 && defined $_->{'lag seconds'} } @{ orders_lag() };
			$stuck && $stuck->{'lag seconds'} > 0;
		}, 60, 'in flight'), 'B stopped: lag seconds positive where records wait for B');
$B->resume;
ok(poll_until(sub { my $l = orders_lag(); @$l == 3 && !grep { ($_->{lag} // -1) != 0 } @$l }, 120, 'lag 0'),
	'B back: caught up');
ok(wait_count($B, 'A.orders', 3609, 120), 'every record on B');

# --- bad input: each names the argument and what was expected ---
for my $b (
	[ [ 'translate', 'offset', 'X->Y', 'orders', 0, 5 ], qr/no flow X->Y/, 'an unknown flow' ],
	[ [ 'translate', 'offset', 'A->B', 'nosuch', 0, 5 ], qr/TOPIC: flow A->B mirrors no topic nosuch/, 'an unknown topic' ],
	[ [ 'show', 'offset-syncs', 'A->B', 'orders', 7 ], qr/PARTITION: flow A->B mirrors no partition 7 of orders/,
		'a partition the topic does not have' ],
	[ [ 'translate', 'offset', 'A->B', 'orders', -1, 5 ], qr/PARTITION: expected a partition number \(0 or more\), got "-1"/,
		'a negative partition' ],
	[ [ 'translate', 'offset', 'A->B', 'orders', 0, -5 ], qr/OFFSET: expected an offset \(0 or more\), got "-5"/,
		'a negative offset' ],
	[ [ 'translate', 'offset', 'A->B', 'orders', 0, 'abc' ], qr/OFFSET: expected an offset \(0 or more\), got "abc"/,
		'a non-numeric offset' ],
	[ [ 'translate', 'group', 'X->Y', 'billing' ], qr/no flow X->Y/, 'translate group: an unknown flow' ],
	[ [ 'translate', 'group', 'A->B', 'nosuch' ], qr/GROUP: group nosuch has no committed offsets on A/,
		'translate group: a group without offsets' ],
	[ [ 'show', 'audit', '--after', 'x' ], qr/ID: expected an audit entry id \(0 or more\), got "x"/, 'a bad --after' ],
	[ [ 'show', 'audit', '--since', 'yesterday' ], qr/DATETIME: expected ISO 8601/, 'a bad --since' ],
  )
{
	($rc, $out, $err) = ferry(@{ $b->[0] });
	isnt($rc, 0, "$b->[2] is refused");
	like($err, $b->[1], "$b->[2]: named") or diag($err);
}
my $ob = rows('translate', 'offset', 'A->B', 'orders', 0, 0);
ok($ob->[0]{result} eq 'translated' && same_record(0, 0, $ob->[0]{downstream}), 'offset 0 translates to the first record');

# --- the auditor role reads every one of them ---
my @nobody = ({ as => [ '--reuid=65534', '--regid=65534', '--clear-groups' ] });
for my $cmd ([ 'show', 'offset-syncs', 'A->B', 'orders', 0 ], [ 'translate', 'offset', 'A->B', 'orders', 0, 1 ],
	[ 'translate', 'group', 'A->B', 'billing' ], [ 'show', 'checkpoints' ], [ 'show', 'heartbeats' ],
	[ 'show', 'audit', '--after', 1 ], [ 'show', 'flows' ], [ 'show', 'lag' ], [ 'show', 'placement' ])
{
	($rc, $out, $err) = ferry(@nobody, @$cmd);
	is($rc, 0, "an auditor may run @$cmd") or diag($err);
}

is($f->stop, 0, 'ferryd exits 0');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
