# 020_active_active: A<->B with `.*` both ways from one ferryd. Each record
# appears exactly once per cluster, and no A.B.* or B.A.* topic ever
# appears (the cycle rule of DefaultReplicationPolicy).
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

$A->create_topic('orders', 3);
$B->create_topic('orders', 3);    # same name on both sides: still no loop
$B->create_topic('users', 2);
$A->produce('orders', count => 20000, start => 0);
$B->produce('orders', count => 20000, start => 100000);
$B->produce('users', count => 5000, start => 200000);

my $f = Ferry::Test::Ferryd->new(
	name => 'aa',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => [ 'A->B', 'B->A' ],
		extra => "topics = .*\nrefresh.topics.interval.seconds = 1\n"));
my ($rc, $out) = $f->check_config($f->config_file);
like($out, qr/flow A->B.*flow B->A/s, 'both flows resolved');
$f->start;

# watch both topic lists the whole time for A.B.* / B.A.* names
my %seen_loop;
my $watch = sub {
	for my $c ($A, $B)
	{
		my ($rc2, $list) = $c->kt_result('topics');
		next if $rc2 != 0;
		$seen_loop{ $c->name . ":$_" } = 1 for grep { /^(A\.B|B\.A)\./ } map { (split /\t/)[0] } split /\n/, $list;
	}
};

ok(poll_until(sub { $watch->(); count_or_zero($B, 'A.orders') >= 20000 }, 300, 'A.orders on B'),
	'A.orders complete on B');
ok(poll_until(sub { $watch->(); count_or_zero($A, 'B.orders') >= 20000 }, 300, 'B.orders on A'),
	'B.orders complete on A');
ok(poll_until(sub { $watch->(); count_or_zero($A, 'B.users') >= 5000 }, 300, 'B.users on A'),
	'B.users complete on A');

# more traffic while both flows run, then several more refresh rounds
$A->produce('orders', count => 5000, start => 20000);
$B->produce('orders', count => 5000, start => 120000);
ok(poll_until(sub { $watch->(); count_or_zero($B, 'A.orders') >= 25000 && count_or_zero($A, 'B.orders') >= 25000 },
		300, 'second batch'), 'second batch arrived both ways');
for (1 .. 5) { $watch->(); sleep 1; }

# besides the data: MM2's heartbeats (each side's own, and the other's
# mirrored), the checkpoints of the flow into it and the offset syncs of
# the flow out of it, all named as MM2 names them (created in the
# background by their threads: wait until all are there)
my @on_a = qw(B.checkpoints.internal B.heartbeats B.orders B.users heartbeats mm2-offset-syncs.B.internal orders);
my @on_b = qw(A.checkpoints.internal A.heartbeats A.orders heartbeats mm2-offset-syncs.A.internal orders users);
poll_until(sub {
		$watch->();
		"@{[ sort keys %{ $A->topics } ]}" eq "@on_a" && "@{[ sort keys %{ $B->topics } ]}" eq "@on_b";
	}, 120, 'the internal topics');
is_deeply([ sort keys %seen_loop ], [], 'no A.B.* or B.A.* topic ever appeared');
is_deeply([ sort keys %{ $A->topics } ], \@on_a, 'topics on A');
is_deeply([ sort keys %{ $B->topics } ], \@on_b, 'topics on B');

# exactly once per cluster: originals untouched, copies exact
my %expect = (
	'A:orders' => [ 0, 25000 ],
	'B:A.orders' => [ 0, 25000 ],
	'B:orders' => [ 100000, 25000 ],
	'A:B.orders' => [ 100000, 25000 ],
	'B:users' => [ 200000, 5000 ],
	'A:B.users' => [ 200000, 5000 ],
);
for my $k (sort keys %expect)
{
	my ($c, $t) = split /:/, $k, 2;
	my $cl = $c eq 'A' ? $A : $B;
	my ($s, $n) = @{ $expect{$k} };
	my $r = $cl->seqcheck($t, count => $n, start => $s, exact => 1);
	is($r->{exit}, 0, "$t on $c: every record exactly once ($r->{summary})");
}
mirror_identical($A, 'orders', $B, 'A.orders', 'A.orders identical to orders on A');
mirror_identical($B, 'orders', $A, 'B.orders', 'B.orders identical to orders on B');

is($f->stop, 0, 'ferryd exits 0 on SIGTERM');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
