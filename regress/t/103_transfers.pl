# 103_transfers: the transfer ledger counts exactly what reached the
# target. Sequence-numbered records on two topics (and a third on a flow
# the other way) are mirrored; the ledger's records and bytes (key +
# value), read with `show transfers` and straight from SQLite, equal what
# the target holds, and its first/last offsets and timestamps per
# partition are those of the source's records. After a clean restart and
# more records the counts add up exactly; after SIGKILL mid-stream (the
# target then holds re-sent duplicates) the ledger still counts every
# source record exactly once. --since and the flow filter select rows;
# bad arguments are refused naming the argument.
use strict;
use warnings FATAL => 'all';

use JSON::PP;
use POSIX ();
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my ($A, $B) = Ferry::Test::Kafka->start_clusters('A', 'B');
# kt produce puts seq on partition seq % partitions, key "k-<seq>"
$A->create_topic('orders', 3);
$A->create_topic('payments', 2);
$B->create_topic('audit', 1);
$A->produce('orders', count => 600, size => 100);
$A->produce('payments', count => 400, size => 37);
$B->produce('audit', count => 50, size => 10);

my $f = Ferry::Test::Ferryd->new(
	name => 'xfer',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => [ 'A->B', 'B->A' ],
		extra => "A->B.topics = orders, payments\n"
		  . "B->A.topics = audit\n"
		  . "ferry.positions.flush.interval.ms = 200\n"
		  . "ferry.control.group = nogroup\n"
		  . "ferry.control.role.auditor = user:nobody\n"
		  . "ferry.canary.enabled = false\n"));
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'A->B running');

sub ferry_json
{
	my ($rc, $out, $err) = $f->ferry(@_, '|', 'json');
	die "ferry @_: $err" if $rc != 0;
	return decode_json($out)->{result};
}

my $cols;
# `show transfers ARGS` as a list of { column => value }
sub transfers
{
	my $res = ferry_json('show', 'transfers', @_);
	$cols //= $res->{columns};
	my @rows;
	for my $r (@{ $res->{rows} })
	{
		my %h;
		@h{ @{ $res->{columns} } } = @$r;
		push @rows, \%h;
	}
	return \@rows;
}

# { topic => [ records, bytes ] } of FLOW's rows
sub sums
{
	my ($rows, $flow) = @_;
	my %s;
	for my $r (grep { $_->{flow} eq $flow } @$rows)
	{
		$s{ $r->{topic} }[0] += $r->{records};
		$s{ $r->{topic} }[1] += $r->{bytes};
	}
	return \%s;
}

# { records, bytes, distinct } of TOPIC on CLUSTER, from its records
sub target_count
{
	my ($cluster, $topic) = @_;
	my $recs = $cluster->dump($topic);
	my ($bytes, %seen) = (0);
	for my $r (@$recs)
	{
		$bytes += length($r->{key} // '') + length($r->{value} // '');
		$seen{ $r->{key} // '' }++;
	}
	return { records => scalar(@$recs), bytes => $bytes, distinct => scalar(keys %seen),
		recs => $recs };
}

# the ledger, straight from SQLite: { "flow topic" => [ records, bytes ] }
sub sqlite_sums
{
	my ($rc, $out, $err) = run_cmd([ 'sqlite3', '-cmd', '.timeout 5000',
		$f->state_dir . '/ferry.db',
		'SELECT flow, topic, SUM(records), SUM(bytes) FROM transfers GROUP BY flow, topic' ]);
	die "sqlite3: $err" if $rc != 0;
	my %s;
	for (split /\n/, $out)
	{
		my ($fl, $t, $n, $b) = split /\|/;
		$s{"$fl $t"} = [ $n + 0, $b + 0 ];
	}
	return \%s;
}

# waits until the ledger's sums of FLOW's TOPICs reach WANT { topic => n }
sub wait_ledger
{
	my ($flow, $want, $what, @args) = @_;
	my $last = {};
	return poll_until(
		sub {
			$last = sums(transfers(@args), $flow);
			return !grep { ($last->{$_}[0] // 0) < $want->{$_} } keys %$want;
		},
		120,
		"$what: ledger of $flow to reach " . join(', ', map { "$_=$want->{$_}" } sort keys %$want));
}

# compares the ledger of FLOW's TOPIC with what CLUSTER holds in REMOTE
sub ledger_is_target
{
	my ($flow, $topic, $cluster, $remote, $what, @args) = @_;
	my $t = target_count($cluster, $remote);
	my $l = sums(transfers(@args), $flow)->{$topic} // [ 0, 0 ];
	my $q = sqlite_sums()->{"$flow $topic"} // [ 0, 0 ];
	is($l->[0], $t->{records}, "$what: $flow $topic: show transfers counts the records on the target ($t->{records})");
	is($l->[1], $t->{bytes}, "$what: $flow $topic: and their key + value bytes ($t->{bytes})");
	is_deeply($q, $l, "$what: $flow $topic: SQLite says the same");
	return $t;
}

# per partition of TOPIC in FLOW over all days: { p => [ first, last, first_ts, last_ts ] }
sub ranges
{
	my ($rows, $flow, $topic) = @_;
	my %r;
	for my $x (grep { $_->{flow} eq $flow && $_->{topic} eq $topic } @$rows)
	{
		my $p = $x->{partition};
		my $cur = $r{$p};
		if (!$cur || $x->{'first offset'} < $cur->[0])
		{
			@{ $r{$p} }[ 0, 2 ] = ($x->{'first offset'}, $x->{'first timestamp'});
		}
		$cur = $r{$p};
		if (!defined $cur->[1] || $x->{'last offset'} > $cur->[1])
		{
			@{ $r{$p} }[ 1, 3 ] = ($x->{'last offset'}, $x->{'last timestamp'});
		}
	}
	return \%r;
}

sub iso_ms
{
	my ($ms) = @_;
	return POSIX::strftime('%Y-%m-%dT%H:%M:%S', gmtime(int($ms / 1000))) . sprintf('.%03dZ', $ms % 1000);
}

# the source's first and last record per partition, as the ledger shows them
sub source_ranges
{
	my ($cluster, $topic) = @_;
	my %r;
	for my $x (@{ $cluster->dump($topic) })
	{
		my $p = $x->{partition};
		$r{$p}[0] //= $x->{offset};
		$r{$p}[2] //= iso_ms($x->{timestamp});
		$r{$p}[1] = $x->{offset};
		$r{$p}[3] = iso_ms($x->{timestamp});
	}
	return \%r;
}

# --- first run ---
ok(wait_count($B, 'A.orders', 600, 120) && wait_count($B, 'A.payments', 400, 120)
	  && wait_count($A, 'B.audit', 50, 120), 'mirrored');
ok(wait_ledger('A->B', { orders => 600, payments => 400 }, 'first run'), 'A->B ledger complete');
ok(wait_ledger('B->A', { audit => 50 }, 'first run'), 'B->A ledger complete');
is_deeply($cols, [ 'day', 'flow', 'topic', 'partition', 'records', 'bytes', 'first offset',
		'last offset', 'first timestamp', 'last timestamp', 'rule', 'category', 'held back' ],
	'show transfers: its columns');
my $t = ledger_is_target('A->B', 'orders', $B, 'A.orders', 'first run');
is($t->{bytes}, 600 * 100 + length(join('', map { "k-$_" } 0 .. 599)), 'orders: bytes as produced');
ledger_is_target('A->B', 'payments', $B, 'A.payments', 'first run');
ledger_is_target('B->A', 'audit', $A, 'B.audit', 'first run');
is_deeply(ranges(transfers(), 'A->B', 'orders'), source_ranges($A, 'orders'),
	'orders: first and last offset and timestamp per partition are the source records\'');
my $today = POSIX::strftime('%Y-%m-%d', gmtime);
my @rows = grep { $_->{flow} eq 'A->B' && $_->{topic} =~ /^(orders|payments)$/ } @{ transfers() };
ok(@rows == 5 && !grep({ defined $_->{rule} || defined $_->{category} || $_->{'held back'} != 0 } @rows),
	'A->B: one row per partition (5), no placement rule, nothing held back');
# (yesterday too: a run across midnight UTC)
my $yesterday = POSIX::strftime('%Y-%m-%d', gmtime(time - 86400));
ok(!grep({ $_->{day} ne $today && $_->{day} ne $yesterday } @rows),
	"rows of the day of mirroring (UTC, $today)");

# kt writes record timestamps a day in the past: the day is the mirroring's
ok(!grep({ substr($_->{'first timestamp'}, 0, 10) eq $_->{day} } @rows),
	'bucketed by the day of mirroring, not by the records\' timestamps (a day older)');

# the text view
my ($rc, $out, $err) = $f->ferry('show', 'transfers', 'A->B');
is($rc, 0, 'show transfers A->B (text)') or diag($err);
like($out, qr/^\s*day\s+flow\s+topic\s+partition\s+records\s+bytes/m, 'a table with its header');

# --- a clean restart, more records: the counts add up, nothing twice ---
is($f->stop, 0, 'ferryd stops');
# a day long past, for --since (written while ferryd is down)
($rc, undef, $err) = run_cmd([ 'sqlite3', $f->state_dir . '/ferry.db',
	"INSERT INTO transfers (day, flow, topic, partition, records, bytes, first_offset, last_offset, "
	  . "held_back, updated_ms) VALUES ('2000-01-01', 'A->B', 'orders', 0, 7, 70, 0, 6, 0, 0)" ]);
is($rc, 0, 'a row of 2000-01-01 added by hand') or diag($err);
$A->produce('orders', start => 600, count => 300, size => 100);
$A->produce('payments', start => 400, count => 100, size => 37);
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'A->B running again');
ok(wait_count($B, 'A.orders', 900, 120) && wait_count($B, 'A.payments', 500, 120), 'the new records mirrored');
ok(wait_ledger('A->B', { orders => 900, payments => 500 }, 'after restart', '--since', '2000-01-02'),
	'ledger complete after the restart');
sleep 1;    # a position saved twice would show now
for my $topic ('orders', 'payments')
{
	my $tc = target_count($B, "A.$topic");
	is($tc->{distinct}, $tc->{records}, "$topic: no duplicate on the target after a clean restart");
	my $l = sums(transfers('A->B', '--since', '2000-01-02'), 'A->B')->{$topic};
	is($l->[0], $tc->{records}, "after restart: $topic: the counts add up to the target's ($tc->{records})");
	is($l->[1], $tc->{bytes}, "after restart: $topic: bytes too");
}
is(sums(transfers('A->B'), 'A->B')->{orders}[0], 907, 'without --since: the row of 2000-01-01 too');
is(sums(transfers('--since', '2000-01-01'), 'A->B')->{orders}[0], 907, '--since its day: included');
is(scalar(grep { $_->{day} eq '2000-01-01' } @{ transfers('--since', '2000-01-02') }), 0,
	'--since the day after: left out');
is(scalar(@{ transfers('--since', '2999-01-01') }), 0, '--since a day to come: nothing');
is_deeply(ranges(transfers('--since', '2000-01-02'), 'A->B', 'orders'), source_ranges($A, 'orders'),
	'orders: first offsets kept, last ones moved on, with their timestamps');

# the flow filter
my $ab = transfers('A->B');
my $ba = transfers('B->A', '--since', '2000-01-01');
ok(@$ab > 0 && !grep({ $_->{flow} ne 'A->B' } @$ab), 'show transfers A->B: only A->B');
# (B->A also mirrors the heartbeats A->B writes to B, as MM2 does: counted too)
my @audit = grep { $_->{topic} eq 'audit' } @$ba;
ok(@$ba > 0 && !grep({ $_->{flow} ne 'B->A' } @$ba) && @audit == 1 && $audit[0]{records} == 50,
	'show transfers B->A --since DATE: only B->A');

# --- SIGKILL mid-stream: duplicates on the target, none in the ledger ---
my ($finish) = $A->produce_bg('orders', start => 900, count => 20000, size => 100, rate => 4000);
ok(poll_until(sub { count_or_zero($B, 'A.orders') > 2000 }, 120, 'mirroring the stream'), 'stream flows');
select(undef, undef, undef, 0.5 + rand(1));
is($f->kill9, 137, 'ferryd killed with SIGKILL mid-stream');
my ($prc, $perr) = $finish->();
is($prc, 0, 'producer wrote its 20000 records') or diag($perr);
$f->start;
ok(poll_until(sub { $B->seqcheck('A.orders', count => 20900)->{missing} == 0 }, 180, 'every record on B'),
	'every record on B after the kill');
ok(wait_ledger('A->B', { orders => 20900 }, 'after SIGKILL', '--since', '2000-01-02'), 'ledger complete after SIGKILL');
sleep 1;
my $tc = target_count($B, 'A.orders');
my $src = target_count($A, 'orders');
my $l = sums(transfers('A->B', '--since', '2000-01-02'), 'A->B')->{orders};
is($src->{records}, 20900, 'the source holds 20900 records');
is($tc->{distinct}, 20900, "the target holds all of them ($tc->{records} with re-sent duplicates)");
is($l->[0], 20900, 'the ledger counts each source record once, re-sent or not');
is($l->[1], $src->{bytes}, 'and its bytes once');
is_deeply(ranges(transfers('--since', '2000-01-02'), 'A->B', 'orders'), source_ranges($A, 'orders'),
	'first and last offsets and timestamps still the source\'s');

# --- bad arguments ---
($rc, $out, $err) = $f->ferry('show', 'transfers', 'X->Y');
is($rc, 1, 'an unknown flow: refused');
like($err, qr/FLOW: no flow X->Y in the running configuration nor in the transfer ledger/, 'names the flow');
($rc, $out, $err) = $f->ferry('show', 'transfers', '--since', '2026-13-01');
is($rc, 1, 'a month 13: refused');
like($err, qr/DATE: expected a day YYYY-MM-DD, got "2026-13-01"/, 'names DATE and the form');
($rc, $out, $err) = $f->ferry('show', 'transfers', 'A->B', '--since', 'yesterday');
is($rc, 1, 'a word for a date: refused');
like($err, qr/DATE: expected a day YYYY-MM-DD, got "yesterday"/, 'names DATE');
($rc, $out, $err) = $f->ferry('show', 'transfers', '--since');
is($rc, 1, '--since without a date: refused');
like($err, qr/expected <DATE> after "--since"/, 'says DATE is missing');
($rc, $out, $err) = $f->ferry('show', 'transfers', 'orders');
is($rc, 1, 'a topic for a flow: refused');
like($err, qr/FLOW: expected SOURCE->TARGET, got "orders"/, 'names FLOW');
# an auditor may read it
($rc, $out, $err) = $f->ferry({ as => [ '--reuid=65534', '--regid=65534', '--clear-groups' ] },
	'show', 'transfers', 'A->B');
is($rc, 0, 'nobody (auditor) may show transfers') or diag($err);

is($f->stop, 0, 'ferryd exits 0');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
