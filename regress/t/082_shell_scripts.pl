# 082_shell_scripts: command scripts run through `ferry -e` against a real
# ferryd, their output compared with the expected output kept beside them
# (regress/shell/NN_name.in -> NN_name.out), FRR style. Times and paths
# that change from run to run are masked. FERRY_REGEN=1 rewrites the .out
# files instead (review the diff before committing).
use strict;
use warnings FATAL => 'all';

use IPC::Run ();
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Utils;

my $dir = repo_root() . '/regress/shell';
my $ferry = build_dir() . '/ferry';

# clusters nobody listens on: once ferryd has seen them refuse, the flows
# are "degraded" naming the cluster, deterministically (waited for below)
my $f = Ferry::Test::Ferryd->new(
	name => 'scripts',
	config => "# a two-way topology\n"
	  . "clusters = A, B\n"
	  . "A.bootstrap.servers = 127.0.0.1:9\n"
	  . "B.bootstrap.servers = 127.0.0.1:9\n"
	  . "A->B.enabled = true\n"
	  . "B->A.enabled = true\n"
	  . "B->A.topics = users\n"
	  . "replication.factor = 3\n"
	  . "ferry.appliance.name = lab\n"
	  . "ferry.metrics.listen = off\n");
$f->start;
ok($f->wait_for_log(qr/control socket .* ready/, 60), 'ferryd up');
ok(poll_until(sub {
	my ($rc, $out) = $f->ferry('show flows');
	# each flow names its source once its own clients have seen it refuse
	return $out =~ /^A->B\s+degraded\s.*\sA unreachable: /m
	  && $out =~ /^B->A\s+degraded\s.*\sB unreachable: /m;
}, 60, 'both flows degraded'), 'both clusters seen unreachable');

sub mask
{
	my ($t) = @_;
	$t =~ s/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3})?Z/<time>/g;
	# librdkafka appends how often an error repeated
	$t =~ s/ \(after \d+ms in state \w+[^)]*\)//g;
	my $d = $f->dir;
	$t =~ s/\Q$d\E/<dir>/g;
	return $t;
}

for my $in (sort glob("$dir/*.in"))
{
	(my $name = $in) =~ s{.*/}{};
	(my $expect_file = $in) =~ s/\.in$/.out/;
	# stdout and stderr into one pipe: each error lands under its command
	# (the shell flushes both after every line)
	my $script = slurp($in);
	my $out = '';
	IPC::Run::run([ $ferry, '-e', '-s', $f->socket_path ], '<', \$script, '>&', \$out,
		IPC::Run::timeout(120));
	my $got = mask($out);
	if ($ENV{FERRY_REGEN})
	{
		open(my $fh, '>', $expect_file) or die "$expect_file: $!";
		print $fh $got;
		close $fh;
		pass("$name: expected output rewritten");
		next;
	}
	my $want = -e $expect_file ? slurp($expect_file) : '';
	if ($got eq $want)
	{
		pass("$name: output as expected");
	}
	else
	{
		fail("$name: output as expected");
		my $gotfile = $f->dir . "/$name.got";
		open(my $fh, '>', $gotfile) or die $!;
		print $fh $got;
		close $fh;
		my (undef, $diff) = run_cmd([ 'diff', '-u', $expect_file, $gotfile ]);
		diag($diff);
	}
}
is($f->stop, 0, 'ferryd exits 0');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
