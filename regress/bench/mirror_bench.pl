# mirror_bench: 1M records of 1 KiB mirrored A->B by ferryd between two real
# Kafka clusters on this machine. Prints records/s, MB/s, ferryd's CPU
# seconds and peak RSS. Not a test: nothing here passes or fails on speed.
#
#   make bench                       (release build)
#   BENCH_RECORDS=200000 make bench  (a quicker run)
use strict;
use warnings FATAL => 'all';

use POSIX ();
use Time::HiRes ();

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
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

my $A = Ferry::Test::Kafka->new(name => 'A');
my $B = Ferry::Test::Kafka->new(name => 'B');
$A->start(wait => 0);
$B->start(wait => 0);
$A->wait_ready;
$B->wait_ready;
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
my $mb = $N * $SIZE / 1e6;
print "\n";
printf "%-28s %s\n", 'peer', `${\ Ferry::Test::Ferryd::binary()} --version` =~ s/\n//r;
printf "%-28s %d x %d B, %d partitions\n", 'workload', $N, $SIZE, $PARTS;
printf "%-28s %.2f\n", 'wall seconds (start to last)', $secs;
printf "%-28s %.0f\n", 'records/s', $N / $secs;
printf "%-28s %.1f\n", 'MB/s (values)', $mb / $secs;
printf "%-28s %.2f\n", 'ferryd CPU seconds', $cpu;
printf "%-28s %.0f\n", 'ferryd peak RSS MiB', $rss;
printf "%-28s %s\n", 'target check', $r->{summary};
