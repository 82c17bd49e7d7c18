# mirror_bench: 1M records of 1 KiB mirrored by ferryd (A->B) and, side by
# side on the same brokers, by MirrorMaker 2 from its Maven Central jars
# (A->C). Prints records/s, MB/s, CPU seconds and peak RSS of each, and the
# ratios. Not a test: nothing here passes or fails on speed.
#
#   make bench                       (release build)
#   BENCH_RECORDS=200000 make bench  (a quicker run)
#   BENCH_PEER=0 make bench          (ferryd only)
use strict;
use warnings FATAL => 'all';

use POSIX ();
use Time::HiRes ();

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Process;
use Ferry::Test::Utils;

my $N = $ENV{BENCH_RECORDS} // 1_000_000;
my $SIZE = $ENV{BENCH_RECORD_SIZE} // 1024;
my $PARTS = $ENV{BENCH_PARTITIONS} // 8;
my $TICK = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;

sub proc_cpu_seconds
{
	my ($pid) = @_;
	my $stat = slurp("/proc/$pid/stat");
	$stat =~ s/^.*\)\s+//s;    # after "pid (comm) "
	my @f = split /\s+/, $stat;
	return ($f[11] + $f[12]) / $TICK;    # utime + stime
}

sub proc_peak_rss_mb
{
	my ($pid) = @_;
	my ($kb) = slurp("/proc/$pid/status") =~ /^VmHWM:\s+(\d+)\s+kB/m;
	return ($kb // 0) / 1024;
}

my $PEER = $ENV{BENCH_PEER} // 1;
my $A = Ferry::Test::Kafka->new(name => 'A');
my $B = Ferry::Test::Kafka->new(name => 'B');
my $C = $PEER ? Ferry::Test::Kafka->new(name => 'C') : undef;
$_->start(wait => 0) for grep { defined } $A, $B, $C;
$_->wait_ready for grep { defined } $A, $B, $C;
$A->create_topic('bench', $PARTS);

printf "bench: producing %d records of %d bytes into A (%d partitions)\n", $N, $SIZE, $PARTS;
my $t0 = Time::HiRes::time();
$A->produce('bench', count => $N, size => $SIZE);
printf "bench: produced in %.1f s\n", Time::HiRes::time() - $t0;

my $f = Ferry::Test::Ferryd->new(
	name => 'bench',
	config => mm2_config(clusters => { A => $A, B => $B }, flows => ['A->B'],
		extra => "A->B.topics = bench\n"));
$t0 = Time::HiRes::time();
$f->start(log_level => 'info');
wait_count($B, 'A.bench', $N, 1800) or die "bench: ferryd did not mirror $N records\n";
my $secs = Time::HiRes::time() - $t0;
my $cpu = proc_cpu_seconds($f->pid);
my $rss = proc_peak_rss_mb($f->pid);
my $st = $f->stop;
die "bench: ferryd exited $st\n" if $st != 0;

my $r = $B->seqcheck('A.bench', count => $N);
die "bench: records missing on B: $r->{summary}\n" if $r->{missing};
my %res = (ferry => { secs => $secs, cpu => $cpu, rss => $rss, check => $r->{summary} });

if ($PEER)
{
	# MirrorMaker 2 in dedicated mode, the same kind of file, A->C
	my $dir = tmp_dir('mm2');
	my $libs = kafka_libs();
	open(my $fh, '>', "$dir/mm2.properties") or die $!;
	print $fh mm2_config(clusters => { A => $A, C => $C }, flows => ['A->C'],
		extra => "A->C.topics = bench\nconfig.storage.replication.factor = 1\n"
		  . "offset.storage.replication.factor = 1\nstatus.storage.replication.factor = 1\n");
	close $fh;
	open($fh, '>', "$dir/log4j.properties") or die $!;
	print $fh "log4j.rootLogger=WARN, f\nlog4j.appender.f=org.apache.log4j.FileAppender\n"
	  . "log4j.appender.f.File=$dir/mm2.log\nlog4j.appender.f.layout=org.apache.log4j.PatternLayout\n"
	  . "log4j.appender.f.layout.ConversionPattern=[%d] %p %m (%c)%n\n";
	close $fh;
	$t0 = Time::HiRes::time();
	my $pid = Ferry::Test::Process::spawn_process("$dir/mm2.out", 'java', '-Xmx1g', '-cp', "$libs/*",
		"-Dlog4j.configuration=file:$dir/log4j.properties",
		'org.apache.kafka.connect.mirror.MirrorMaker', "$dir/mm2.properties");
	# setpriv and sh exec java in place: the pid is the JVM's
	my $jvm = $pid;
	wait_count($C, 'A.bench', $N, 1800) or die "bench: MM2 did not mirror $N records (see $dir)\n";
	my $psecs = Time::HiRes::time() - $t0;
	my $pcpu = proc_cpu_seconds($jvm);
	my $prss = proc_peak_rss_mb($jvm);
	kill 'TERM', $pid;
	Ferry::Test::Process::reap_process($pid, 60);
	my $pr = $C->seqcheck('A.bench', count => $N);
	$res{mm2} = { secs => $psecs, cpu => $pcpu, rss => $prss, check => $pr->{summary} };
}

my $mb = $N * $SIZE / 1e6;
print "\n";
printf "%-30s %d x %d B, %d partitions, start to last record on the target\n", 'workload', $N,
  $SIZE, $PARTS;
printf "%-30s %18s %18s %10s\n", '', 'ferryd', ($PEER ? ('MirrorMaker 2', 'ratio') : ('', ''));
my @rows = (
	[ 'wall seconds', 'secs', '%.2f', sub { $_[0] } ],
	[ 'records/s', 'secs', '%.0f', sub { $N / $_[0] } ],
	[ 'MB/s (values)', 'secs', '%.1f', sub { $mb / $_[0] } ],
	[ 'CPU seconds', 'cpu', '%.2f', sub { $_[0] } ],
	[ 'peak RSS MiB', 'rss', '%.0f', sub { $_[0] } ],
);
for my $row (@rows)
{
	my ($label, $key, $fmt, $f) = @$row;
	my $a = $f->($res{ferry}{$key});
	my $b = $PEER ? $f->($res{mm2}{$key}) : undef;
	printf "%-30s %18s %18s %10s\n", $label, sprintf($fmt, $a), defined $b ? sprintf($fmt, $b) : '',
	  defined $b && $b ? sprintf('%.2fx', $a / $b) : '';
}
printf "%-30s %s\n", 'ferryd target check', $res{ferry}{check};
printf "%-30s %s\n", 'MM2 target check', $res{mm2}{check} if $PEER;
print "(", `${\ Ferry::Test::Ferryd::binary()} --version` =~ s/\n//r, "; MM2 3.9.1 from Maven Central; MM2's time includes its JVM start)\n";
