# 000_harness.pl — proves the test bed itself: two real Kafka clusters
# (Ferry::Test::Kafka), the kt tool (regress/tools/kt.c) and the helpers of
# Ferry::Test::Utils, before any test relies on them for ferryd.

use strict;
use warnings FATAL => 'all';

use File::Path ();
use File::Spec;
use Test::More;
use Time::HiRes ();

use Ferry::Test::Kafka;
use Ferry::Test::Utils;

my $t0 = Time::HiRes::time();

# a process that exists and is not a zombie (which nobody may reap here)
sub alive
{
	my ($pid) = @_;
	open(my $fh, '<', "/proc/$pid/stat") or return 0;
	my $stat = <$fh> // '';
	return $stat !~ /^\d+ \(.*\) Z /;
}

# ---------------------------------------------------------------- kt alone

my $kt = Ferry::Test::Kafka::kt_path();
ok(-x $kt, "kt is built at $kt");
{
	my ($rc, $out, $err) = run_cmd([$kt]);
	is($rc, 2, 'kt without arguments is a usage error');
	like($err, qr/usage: kt -b BOOTSTRAP/, 'usage text on stderr');
	($rc, $out, $err) = run_cmd([ $kt, '-b', '127.0.0.1:1', 'frobnicate' ]);
	is($rc, 2, 'unknown command is a usage error');
	like($err, qr/unknown command 'frobnicate'/, 'usage error names the command');
	($rc, $out, $err) = run_cmd([ $kt, '-b', '127.0.0.1:1', 'produce', 't', '--count', 'x' ]);
	is($rc, 2, 'bad number is a usage error');
	like($err, qr/--count: 'x'/, 'usage error names the argument');
}

# ------------------------------------------------------- two clusters up

my $A = Ferry::Test::Kafka->new(name => 'A');
my $B = Ferry::Test::Kafka->new(
	name => 'B',
	extra_props => { 'log.retention.hours' => 1000, 'num.partitions' => 3 });
$A->start(wait => 0);
$B->start(wait => 0);
$A->wait_ready;
$B->wait_ready;
diag(sprintf('both clusters ready after %.1fs', Time::HiRes::time() - $t0));

ok($A->is_running && $B->is_running, 'both clusters run');
isnt($A->port, $B->port, 'clusters listen on different ports');
is(scalar(keys %{ { map { $_ => 1 } $A->port, $A->controller_port, $B->port, $B->controller_port } }),
	4, 'four distinct ports');
for my $c ($A, $B)
{
	my ($rc, $out, $err) = $c->kt_result('wait-ready', '--timeout', 10);
	is($rc, 0, 'cluster ' . $c->name . ' serves metadata at ' . $c->bootstrap)
	  or diag($err);
}
like(slurp($B->dir . '/server.properties'), qr/^log\.retention\.hours=1000$/m,
	'extra_props reach server.properties');
is_deeply($A->topics, {}, 'A has no user topics');

# ----------------------------------------------- create, produce, verify

$A->create_topic('seq', 4, 'retention.ms' => 86400000);
is_deeply($A->topics, { seq => 4 }, 'topic created with 4 partitions');
is_deeply($B->topics, {}, 'B does not see A\'s topic');
{
	my ($rc, $out, $err) = $A->kt_result('create', 'seq', 4);
	is($rc, 1, 'creating an existing topic fails');
	like($err, qr/kt create: topic 'seq': TOPIC_ALREADY_EXISTS/, 'error names command and topic');
}

my $N = 10000;
$A->produce('seq', count => $N);
is($A->count('seq'), $N, "count is $N");

my $sc = $A->seqcheck('seq', count => $N, exact => 1);
is($sc->{exit}, 0, 'seqcheck --exact passes') or diag($sc->{output} . $sc->{stderr});
is_deeply([ @$sc{qw(records distinct missing duplicates outoforder unexpected)} ],
	[ $N, $N, 0, 0, 0, 0 ], 'seqcheck numbers');

my $recs = $A->dump('seq');
is(scalar @$recs, $N, "dump returns $N records");
{
	my (%seen, @bad, %lastoff);
	# one produce run: timestamp - seq is one constant, about a day old
	my $ts_base = $recs->[0]{timestamp} - $recs->[0]{headers}{seq};
	my $age_days = (time() * 1000 - ($ts_base + $N)) / 86400000;
	ok($age_days > 0.9 && $age_days < 1.1, 'produced timestamps lie a day in the past')
	  or diag("age: $age_days days");
	for my $r (@$recs)
	{
		my $seq = $r->{headers}{seq};
		my $why =
		    !defined $seq ? 'no seq header'
		  : $seen{$seq}++ ? 'duplicate'
		  : $r->{partition} != $seq % 4 ? 'partition'
		  : $r->{key} ne "k-$seq" ? 'key'
		  : $r->{value} ne Ferry::Test::Kafka::record_value($seq, 100) ? 'value'
		  : length($r->{value}) != 100 ? 'value length'
		  : $r->{headers}{h2} ne "x$seq" ? 'h2 header'
		  : join(',', map { $_->[0] } @{ $r->{header_list} }) ne 'seq,h2' ? 'header order'
		  : $r->{timestamp} != $ts_base + $seq ? 'timestamp'
		  : (exists $lastoff{ $r->{partition} } && $r->{offset} <= $lastoff{ $r->{partition} })
		  ? 'offset order'
		  : undef;
		$lastoff{ $r->{partition} } = $r->{offset};
		push @bad, ($seq // '?') . ": $why" if $why;
	}
	is(scalar @bad, 0, 'every dumped record follows the produce scheme')
	  or diag(join("\n", @bad[ 0 .. ($#bad < 9 ? $#bad : 9) ]));
	is(scalar keys %seen, $N, 'every seq dumped once');
	is_deeply([ map { $_->{partition} } @$recs[ 0, -1 ] ], [ 0, 3 ],
		'dump is in partition order');
}

# seqcheck notices what is wrong
$sc = $A->seqcheck('seq', count => $N + 2);
is($sc->{exit}, 1, 'seqcheck fails when records are missing');
is($sc->{missing}, 2, 'missing counted');
is_deeply($sc->{missing_list}, [ $N, $N + 1 ], 'missing seqs listed');
$sc = $A->seqcheck('seq', count => $N - 1, start => 1);
is($sc->{exit}, 1, 'seqcheck fails on a seq outside the range');
is($sc->{unexpected}, 1, 'unexpected counted');
is_deeply($sc->{unexpected_list}, [0], 'unexpected seq listed');

$A->create_topic('dups', 2);
$A->produce('dups', count => 50);
$A->produce('dups', count => 10, start => 20);
$sc = $A->seqcheck('dups', count => 50);
is($sc->{exit}, 0, 'duplicates pass without --exact');
is($sc->{duplicates}, 10, 'duplicates counted');
is($A->seqcheck('dups', count => 50, exact => 1)->{exit}, 1, 'duplicates fail with --exact');
$A->delete_topic('dups');
ok(!exists $A->topics->{dups}, 'topic deleted');

# ------------------------------------------------------------ transactions

$A->create_topic('txn', 3);
my $aborted = $A->produce('txn', count => 1000, transactional_id => 'kt-txn', abort_every => 3);
is_deeply($aborted, [ 200 .. 299, 500 .. 599, 800 .. 899 ],
	'every 3rd transaction of 100 records aborted');
my $exclude_file = $A->dir . '/aborted.txt';
{
	open(my $fh, '>', $exclude_file) or die "$exclude_file: $!";
	print $fh map { "aborted $_\n" } @$aborted;
	close($fh);
}
$sc = $A->seqcheck('txn', count => 1000, exact => 1, exclude_file => $exclude_file);
is($sc->{exit}, 0, 'seqcheck with the aborted seqs excluded passes')
  or diag($sc->{output} . $sc->{stderr});
is($sc->{records}, 700, 'only committed records are read');
is($sc->{unexpected}, 0, 'no aborted seq is read');
$sc = $A->seqcheck('txn', count => 1000);
is($sc->{missing}, 300, 'without exclusions the aborted seqs are missing');
{
	my $committed = $A->dump('txn');
	my %ab = map { $_ => 1 } @$aborted;
	is(scalar(grep { $ab{ $_->{headers}{seq} } } @$committed), 0,
		'read_committed dump shows no aborted record');
	is(scalar @$committed, 700, 'read_committed dump has the committed records');
	my $all = $A->dump('txn', isolation => 'read_uncommitted');
	is(scalar(grep { $ab{ $_->{headers}{seq} } } @$all), 300,
		'read_uncommitted dump shows the aborted records');
	is(scalar @$all, 1000, 'read_uncommitted dump has all records');
}
cmp_ok($A->count('txn'), '>=', 1000, 'count includes aborted records and markers');

# ------------------------------------------------ put and dump escaping

$B->create_topic('raw', 1);
{
	my $all_bytes = join('', map { chr } 0 .. 255);
	my @put = (
		{ key => $all_bytes, value => "tab\there\nnew \\N line\\", timestamp => 42,
		  headers => [ [ 'a,b=c', "x,y=z\t" ], [ 'nul', undef ], [ 'empty', '' ], [ 'a,b=c', 'again' ] ] },
		{ key => undef, value => undef },
		{ key => '', value => '\N', headers => [ [ "h\xff", "\0" ] ] },
	);
	for my $i (0 .. $#put)
	{
		my ($p, $off) = $B->put('raw', %{ $put[$i] });
		is("$p/$off", "0/$i", "put record $i");
	}
	my $got = $B->dump('raw');
	is(scalar @$got, 3, 'dump returns the put records');
	for my $i (0 .. $#put)
	{
		is_deeply(
			[ @{ $got->[$i] }{qw(key value header_list)} ],
			[ $put[$i]{key}, $put[$i]{value}, $put[$i]{headers} // [] ],
			"record $i: key, value and headers round-trip");
	}
	is($got->[0]{timestamp}, 42, 'explicit timestamp kept');
	is($got->[0]{headers}{'a,b=c'}, 'again', 'headers hash keeps the last value');
	my $line = (split /\n/, $B->kt('dump', 'raw'))[1];
	is($line, "0\t1\t$got->[1]{timestamp}\t\\N\t\\N\t", 'null key/value print as \N');
}

# ---------------------------------------------------------- add-partitions

$A->add_partitions('seq', 6);
is($A->topics->{seq}, 6, 'partitions added');
$A->produce('seq', count => 600, start => $N);
is($A->count('seq'), $N + 600, 'count after producing to 6 partitions');
{
	my @new = grep { $_->{headers}{seq} >= $N } @{ $A->dump('seq') };
	is(scalar(grep { $_->{partition} != $_->{headers}{seq} % 6 } @new), 0,
		'new records spread over 6 partitions');
	is(scalar(grep { $_->{partition} >= 4 } @new), 200, 'new partitions got records');
}
my $total = $N + 600;

# ------------------------------------------------------- second cluster

$B->create_topic('seq', 2);
$B->produce('seq', count => 100, size => 1, start => 5);
is($B->count('seq'), 100, 'B has its own topic');
is($A->count('seq'), $total, 'A unaffected by B');
is_deeply([ map { $_->{value} } @{ $B->dump('seq') }[ 0 .. 1 ] ], [ '6:', '8:' ],
	'values shorter than "<seq>:" are just that');
$B->create_topic('defaults', 1);
is($B->topics->{defaults}, 1, 'explicit partition count wins over num.partitions');

# -------------------------------------------------------- stop / restart

my $port = $A->port;
my $st = $A->stop;
ok(!$A->is_running, "A stopped (status $st)");
{
	my ($rc) = $A->kt_result('wait-ready', '--timeout', 1);
	isnt($rc, 0, 'stopped cluster is not ready');
}
$A->start;
is($A->port, $port, 'same port after restart');
is($A->count('seq'), $total, 'data survives stop/start');
$A->restart;
is($A->count('seq'), $total, 'data survives restart()');
is($A->seqcheck('seq', count => $total, exact => 1)->{exit}, 0, 'seqcheck after restart');

# ---------------------------------------------------------- pause / resume

$B->pause;
{
	my $t = Time::HiRes::time();
	my ($rc, $out, $err) = $B->kt_result('wait-ready', '--timeout', 3);
	is($rc, 1, 'paused cluster does not answer metadata');
	like($err, qr/kt wait-ready: 127\.0\.0\.1:\d+ not ready after 3 s/, 'wait-ready says why');
	cmp_ok(Time::HiRes::time() - $t, '<', 15, 'wait-ready gives up in time');
}
$B->resume;
{
	my ($rc, $out, $err) = $B->kt_result('wait-ready', '--timeout', 30);
	is($rc, 0, 'resumed cluster answers again') or diag($err);
}
is($B->count('seq'), 100, 'resumed cluster serves data');

# ------------------------------------------------------------ kill -9

$A->kill9;
ok(!$A->is_running, 'A killed');
$A->start;
is($A->count('seq'), $total, 'data survives kill -9');
is($A->seqcheck('seq', count => $total, exact => 1)->{exit}, 0, 'seqcheck after kill -9');

# --------------------------------------------------------- group offsets

is_deeply($A->group_offsets('g1'), {}, 'unknown group has no offsets');
$A->group_commit('g1', 'seq', 2, 123);
$A->group_commit('g1', 'seq', 0, 5);
$A->group_commit('g1', 'txn', 1, 7);
is_deeply($A->group_offsets('g1'), { seq => { 0 => 5, 2 => 123 }, txn => { 1 => 7 } },
	'group-commit / group-offsets round trip');
is($A->kt('group-offsets', 'g1'), "seq\t0\t5\nseq\t2\t123\ntxn\t1\t7\n",
	'group-offsets output sorted');
$A->group_commit('g1', 'seq', 2, 200);
is($A->group_offsets('g1')->{seq}{2}, 200, 'commit overwrites');
ok(exists $A->topics(all => 1)->{__consumer_offsets}, 'topics --all shows internal topics');
ok(!exists $A->topics->{__consumer_offsets}, 'topics hides internal topics');

# ------------------------------------------- brokers die with the harness

{
	my $lib = File::Spec->catdir(repo_root(), 'regress', 'lib');
	my $script = <<'EOF';
$0 = '000_harness_orphan';
require Ferry::Test::Kafka;
my $c = Ferry::Test::Kafka->new(name => 'O');
$c->start(wait => 0);
print $c->pid, "\n";
STDOUT->flush;
sleep 300;
EOF
	my $pid = open(my $fh, '-|', $^X, "-I$lib", '-e', $script) or die "perl: $!";
	my $jvm = <$fh>;
	chomp $jvm;
	like($jvm, qr/^\d+$/, 'child harness started a broker');
	ok(alive($jvm), 'its broker runs');
	kill 'KILL', $pid;
	close($fh);
	ok(poll_until(sub { !alive($jvm) }, 30, 'orphaned broker to die'),
		'broker dies when its harness is killed -9');
	File::Path::rmtree(File::Spec->catdir(repo_root(), 'regress', 'tmp_check', '000_harness_orphan'));
}

# --------------------------------------------------------------- shutdown

for my $c ($A, $B)
{
	my $pid = $c->pid;
	$c->stop;
	ok(!kill(0, $pid), 'cluster ' . $c->name . ' stopped');
}

diag(sprintf('000_harness took %.1fs', Time::HiRes::time() - $t0));
done_testing();
