# failover_bench: how many records a consumer group reads again after a
# planned failover, with ferry (`failover --drain`, exact translation) and
# with MirrorMaker 2 (its checkpoints, read by its own RemoteClusterUtils),
# for the same workload on the same machine. MM2 runs from its Maven
# Central jars. Not a test: it reports.
#
#   make bench   (runs after mirror_bench)
use strict;
use warnings FATAL => 'all';

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Process;
use Ferry::Test::Utils;

my $N = $ENV{BENCH_FAILOVER_RECORDS} // 30000;
my %c = map { $_ => Ferry::Test::Kafka->new(name => $_) } qw(A B C);
$_->start(wait => 0) for values %c;
$_->wait_ready for values %c;
my ($A, $B, $C) = @c{qw(A B C)};

$A->create_topic('orders', 3);
$A->produce('orders', count => $N);
# the group processed about 40% of each partition, at an arbitrary record
my %dump;
push @{ $dump{ $_->{partition} } }, $_ for @{ $A->dump('orders') };
my %commit;
for my $p (sort keys %dump)
{
	my $i = int(@{ $dump{$p} } * 0.4) + 17 * $p;
	$commit{$p} = $dump{$p}[$i]{offset};
	$A->group_commit('app', 'orders', $p, $commit{$p});
}

# records the group would read again when it resumes at OFFSETS on TARGET
sub rereads
{
	my ($target, $remote, $offsets) = @_;
	my $n = 0;
	my %on_target;
	push @{ $on_target{ $_->{partition} } }, $_ for @{ $target->dump($remote) };
	for my $p (keys %$offsets)
	{
		my %processed = map { $_->{headers}{seq} => 1 } grep { $_->{offset} < $commit{$p} } @{ $dump{$p} };
		$n += grep { $_->{offset} >= $offsets->{$p} && $processed{ $_->{headers}{seq} } } @{ $on_target{$p} };
	}
	return $n;
}

# --- MirrorMaker 2: A->B ---
my $dir = tmp_dir('mm2');
my $libs = kafka_libs();
open(my $fh, '>', "$dir/mm2.properties") or die $!;
print $fh mm2_config(clusters => { A => $A, B => $B }, flows => ['A->B'],
	extra => "A->B.topics = orders\nemit.checkpoints.interval.seconds = 1\n"
	  . "refresh.groups.interval.seconds = 1\nsync.group.offsets.enabled = false\n"
	  . "config.storage.replication.factor = 1\noffset.storage.replication.factor = 1\n"
	  . "status.storage.replication.factor = 1\n");
close $fh;
open($fh, '>', "$dir/log4j.properties") or die $!;
print $fh "log4j.rootLogger=WARN, f\nlog4j.appender.f=org.apache.log4j.FileAppender\n"
  . "log4j.appender.f.File=$dir/mm2.log\nlog4j.appender.f.layout=org.apache.log4j.PatternLayout\n"
  . "log4j.appender.f.layout.ConversionPattern=[%d] %p %m (%c)%n\n";
close $fh;
my $mm2 = Ferry::Test::Process::spawn_process("$dir/mm2.out", 'java', '-Xmx512m', '-cp', "$libs/*",
	"-Dlog4j.configuration=file:$dir/log4j.properties",
	'org.apache.kafka.connect.mirror.MirrorMaker', "$dir/mm2.properties");
wait_count($B, 'A.orders', $N, 600) or die "MM2 did not mirror $N records (see $dir)\n";
my $jdir = tmp_dir('java');
my ($rc, $out, $err) = run_cmd([ 'javac', '-d', $jdir, '-cp', "$libs/*", repo_root() . '/regress/java/Rcu.java' ]);
die "javac: $err" if $rc;
my %mm2;
poll_until(sub {
		(undef, $out) = run_cmd([ 'java', '-cp', "$jdir:$libs/*", 'Rcu', $B->bootstrap, 'translate', 'A', 'app' ]);
		%mm2 = map { my ($t, $p, $o) = split; ($p => $o) } grep { /^A\.orders / } split /\n/, $out;
		keys(%mm2) == 3;
	}, 300, 'MM2 checkpoints') or die "MM2 wrote no checkpoints for group app\n";
kill 'TERM', $mm2;
Ferry::Test::Process::reap_process($mm2, 60);
my $mm2_rereads = rereads($B, 'A.orders', \%mm2);

# --- ferry: A->C ---
my $f = Ferry::Test::Ferryd->new(name => 'fo', config => mm2_config(clusters => { A => $A, C => $C },
		flows => ['A->C'], extra => "A->C.topics = orders\n"));
$f->start(log_level => 'info');
wait_count($C, 'A.orders', $N, 600) or die "ferryd did not mirror $N records\n";
($rc, $out, $err) = run_cmd([ build_dir() . '/ferry', '-s', $f->socket_path, 'failover', 'A->C',
		'--groups', 'app', '--drain' ], timeout => 300);
die "ferry failover: $err" if $rc;
my %ferry = map { $_ => $C->group_offsets('app')->{'A.orders'}{$_} } keys %commit;
$f->stop;
my $ferry_rereads = rereads($C, 'A.orders', \%ferry);

print "\n";
printf "%-44s %s\n", 'workload', "$N records, 3 partitions, group committed at ~40%";
printf "%-44s %d\n", 'records re-read after failover, ferry', $ferry_rereads;
printf "%-44s %d\n", 'records re-read after failover, MM2 ' . '3.9.1', $mm2_rereads;
for my $p (sort keys %commit)
{
	printf "  partition %d: committed %d; ferry resumes at %d, MM2 at %d\n", $p, $commit{$p},
	  $ferry{$p}, $mm2{$p};
}
