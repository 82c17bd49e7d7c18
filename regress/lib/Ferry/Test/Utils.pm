# Ferry::Test::Utils — helpers shared by ferry's TAP tests (regress/t/*.pl)
# and the other Ferry::Test modules: polling, free ports, per-test scratch
# directories under regress/tmp_check/<test>/, locating the build and the
# Kafka jars, running commands.
#
# Scratch directories are kept when the test script fails (a diag names the
# directory) and removed when it passes.  Modules that start processes
# register a cleanup callback with at_cleanup(); the callbacks run at END
# before the scratch directory is judged, and on SIGINT/SIGTERM.
#
# Exported: poll_until free_port tmp_dir build_dir kafka_libs slurp run_cmd
#           repo_root test_name

package Ferry::Test::Utils;

use strict;
use warnings FATAL => 'all';

use Carp;
use Cwd ();
use Exporter 'import';
use File::Basename ();
use File::Path ();
use File::Spec;
use IO::Socket::INET;
use IPC::Run ();
use Test::More ();
use Time::HiRes ();

our @EXPORT = qw(poll_until free_port tmp_dir build_dir kafka_libs slurp
  run_cmd repo_root test_name);

# the process that loaded us; forked children must not clean up
my $owner_pid = $$;

my $repo_root = Cwd::abs_path(
	File::Spec->catdir(File::Basename::dirname(__FILE__), '..', '..', '..', '..'));

my (%ports_handed_out, $test_dir_made, @cleanups);

# Die on INT/TERM so that END blocks run and children are stopped.
$SIG{INT} = $SIG{TERM} = $SIG{HUP} = sub { die "death by signal $_[0]\n" };

sub repo_root { return $repo_root; }

# Basename of the running test script without .pl/.t, e.g. 000_harness.
sub test_name
{
	my $name = File::Basename::basename($0);
	$name =~ s/\.(pl|t)$//;
	return $name;
}

sub _test_dir
{
	return File::Spec->catdir($repo_root, 'regress', 'tmp_check', test_name());
}

# poll_until(CODE, timeout_sec, description): calls CODE every 200 ms until
# it returns true.  Returns 1, or 0 after a diag on timeout.
sub poll_until
{
	my ($code, $timeout, $what) = @_;
	$timeout //= 60;
	my $deadline = Time::HiRes::time() + $timeout;
	while (1)
	{
		return 1 if $code->();
		last if Time::HiRes::time() >= $deadline;
		Time::HiRes::sleep(0.2);
	}
	Test::More::diag("timed out after ${timeout}s waiting for "
		  . ($what // 'condition'));
	return 0;
}

# A TCP port on 127.0.0.1 that was free a moment ago; never the same port
# twice in one process.
sub free_port
{
	for (1 .. 100)
	{
		my $sock = IO::Socket::INET->new(
			LocalAddr => '127.0.0.1',
			LocalPort => 0,
			Proto => 'tcp',
			Listen => 1)
		  or croak "free_port: cannot bind 127.0.0.1:0: $!";
		my $port = $sock->sockport;
		close($sock);
		next if $ports_handed_out{$port}++;
		return $port;
	}
	croak "free_port: no unused port found";
}

# tmp_dir($name): regress/tmp_check/<test>/<name>, created empty.  The
# first call of a process also wipes what an earlier run of the same test
# left behind.
sub tmp_dir
{
	my ($name) = @_;
	croak "tmp_dir: name required" unless defined $name && length $name;
	my $top = _test_dir();
	if (!$test_dir_made)
	{
		File::Path::rmtree($top) if -e $top;
		$test_dir_made = 1;
	}
	my $dir = File::Spec->catdir($top, $name);
	File::Path::rmtree($dir) if -e $dir;
	File::Path::make_path($dir);
	return $dir;
}

sub build_dir
{
	return $ENV{FERRY_BUILD} // File::Spec->catdir($repo_root, 'build', 'release');
}

# The directory of the Kafka jars (use as classpath "$dir/*"); fetches them
# with regress/fetch-kafka.sh when missing.
sub kafka_libs
{
	my $pom = slurp(File::Spec->catfile($repo_root, 'regress', 'kafka', 'pom.xml'));
	my ($version) = $pom =~ m{<kafka\.version>\s*([^<\s]+)\s*</kafka\.version>}
	  or croak "kafka_libs: no <kafka.version> in regress/kafka/pom.xml";
	my $cache = $ENV{FERRY_CACHE} // "$ENV{HOME}/.cache/ferry";
	my $libs = "$cache/kafka-$version/libs";
	if (!-d $libs)
	{
		my ($rc, $out, $err) = run_cmd(
			[ File::Spec->catfile($repo_root, 'regress', 'fetch-kafka.sh') ],
			timeout => 1800);
		croak "kafka_libs: regress/fetch-kafka.sh failed (exit $rc):\n$out$err"
		  if $rc != 0;
		croak "kafka_libs: $libs missing after regress/fetch-kafka.sh" unless -d $libs;
	}
	return $libs;
}

sub slurp
{
	my ($file) = @_;
	open(my $fh, '<', $file) or croak "slurp: cannot open $file: $!";
	local $/;
	my $text = <$fh>;
	close($fh);
	return $text // '';
}

# run_cmd(\@cmd, timeout => SEC (default 180), stdin => TEXT)
#   -> (exit, stdout, stderr)
# exit is the exit code, 128+signal when killed by a signal, or 124 when the
# command was killed at the timeout (stderr then says so).
sub run_cmd
{
	my ($cmd, %opts) = @_;
	my $timeout = $opts{timeout} // 180;
	my $in = $opts{stdin} // '';
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start($cmd, \$in, \$out, \$err,
		IPC::Run::timeout($timeout, exception => "run_cmd timeout\n"));
	my $ok = eval { $h->finish; 1 };
	if (!$ok)
	{
		my $e = $@;
		eval { $h->kill_kill(grace => 2); };
		die $e unless $e =~ /run_cmd timeout/;
		return (124, $out, $err . "run_cmd: @$cmd: timed out after ${timeout}s\n");
	}
	my $st = $h->full_result(0);
	my $rc = ($st & 127) ? 128 + ($st & 127) : $st >> 8;
	return ($rc, $out, $err);
}

# Decodes a wait status: exit code, or 128+signal.
sub decode_status
{
	my ($st) = @_;
	return ($st & 127) ? 128 + ($st & 127) : $st >> 8;
}

# at_cleanup(CODE): CODE runs at END (before the scratch directory is
# removed or kept) in the process that loaded this module.
sub at_cleanup
{
	my ($code) = @_;
	push @cleanups, $code;
	return;
}

sub _run_cleanups
{
	while (my $c = pop @cleanups)
	{
		eval { $c->(); 1 } or warn "cleanup failed: $@";
	}
	return;
}

END
{
	my $exit = $?;
	if ($$ == $owner_pid)
	{
		{
			local $?;    # reaping children must not change our exit status
			_run_cleanups();
		}
		my $top = _test_dir();
		if ($test_dir_made && -d $top)
		{
			my $tb = Test::More->builder;
			if ($exit != 0 || !$tb->is_passing)
			{
				Test::More::diag("test failed: logs and data kept in $top");
			}
			else
			{
				File::Path::rmtree($top);
			}
		}
	}
	$? = $exit;
}

1;
