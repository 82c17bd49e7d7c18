# Ferry::Test::Process — what the processes a test starts (Kafka brokers,
# ferryd) have in common: each runs in its own process group under a
# parent-death signal, is reaped with a timeout, is stopped or killed
# through the same methods, and is killed when the test process ends or
# dies, whatever state the test left it in.
#
# A subclass object is a hash with pid (undef when not running),
# last_status and a label() method ("kafka A"); its constructor ends with
# `return $self->_track;`.  Statuses are decoded wait statuses: the exit
# code, or 128+signal.

package Ferry::Test::Process;

use strict;
use warnings FATAL => 'all';

use Carp;
use POSIX ();
use Scalar::Util ();
use Time::HiRes ();

use Ferry::Test::Utils;

my $owner_pid = $$;
my %live;    # refaddr => weak ref to every tracked object

Ferry::Test::Utils::at_cleanup(\&_kill_all);

# Starts a process in its own process group under setpriv --pdeathsig KILL,
# stdin from /dev/null, stdout+stderr appended to $log.  Returns the pid
# (also the process group id).
#
# setpriv arms the parent-death signal only after the fork; a parent that
# died before that would leave the process running.  A shell between
# setpriv and the command closes that window: it runs with the signal armed
# and gives up if its parent is no longer this process.
sub spawn_process
{
	my ($log, @cmd) = @_;
	my $parent = $$;
	my @full = (
		'setpriv', '--pdeathsig', 'KILL', '--',
		'/bin/sh', '-c', '[ "$PPID" = "$1" ] || exit 125; shift; exec "$@"',
		'spawn', $parent, @cmd);
	my $pid = fork();
	croak "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		eval {
			local $SIG{__DIE__};
			$SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
			POSIX::setpgid(0, 0) or die "setpgid: $!\n";
			open(STDIN, '<', '/dev/null') or die "stdin: $!\n";
			open(STDOUT, '>>', $log) or die "$log: $!\n";
			open(STDERR, '>&', \*STDOUT) or die "stderr: $!\n";
			exec { $full[0] } @full or die "exec $full[0]: $!\n";
		};
		print STDERR "spawn_process: $@";
		POSIX::_exit(127);
	}
	# also in the parent, so signalling the group works right away
	POSIX::setpgid($pid, $pid);
	return $pid;
}

# Waits up to $timeout s for child $pid to exit; returns the
# decoded status, or undef if it did not exit.
sub reap_process
{
	my ($pid, $timeout) = @_;
	my $deadline = Time::HiRes::time() + $timeout;
	while (1)
	{
		my $r = waitpid($pid, POSIX::WNOHANG());
		return Ferry::Test::Utils::decode_status($?) if $r == $pid;
		return -1 if $r < 0;    # not our child any more
		return undef if Time::HiRes::time() >= $deadline;
		Time::HiRes::sleep(0.05);
	}
}

# _track() -> $self, registered so that it is killed at the end.
sub _track
{
	my ($self) = @_;
	my $key = Scalar::Util::refaddr($self);
	$live{$key} = $self;
	Scalar::Util::weaken($live{$key});
	return $self;
}

# True while the process runs; once it exited, reaps it and keeps the status.
sub is_running
{
	my ($self) = @_;
	return 0 unless $self->{pid};
	my $r = waitpid($self->{pid}, POSIX::WNOHANG());
	return 1 if $r == 0;
	$self->{last_status} = $r == $self->{pid} ? Ferry::Test::Utils::decode_status($?) : -1;
	$self->{pid} = undef;
	return 0;
}

# stop(timeout => 60): SIGTERM (and SIGCONT, in case it is paused), then
# SIGKILL to its group after the timeout.  Returns the status; the status
# of the earlier exit if it was no longer running.
sub stop
{
	my ($self, %opts) = @_;
	return $self->{last_status} unless $self->is_running;
	my $pid = $self->{pid};
	my $timeout = $opts{timeout} // 60;
	kill 'TERM', $pid;
	kill 'CONT', $pid;
	my $st = reap_process($pid, $timeout);
	if (!defined $st)
	{
		Test::More::diag($self->label . ": no exit ${timeout}s after SIGTERM, sending SIGKILL");
		kill 'KILL', -$pid;
		$st = reap_process($pid, 30) // -1;
	}
	kill 'KILL', -$pid;    # anything left in its process group
	$self->{pid} = undef;
	$self->{last_status} = $st;
	return $st;
}

# kill9(): SIGKILL to the process group; returns the status (137).
sub kill9
{
	my ($self) = @_;
	return $self->{last_status} unless $self->{pid};
	my $pid = $self->{pid};
	kill 'KILL', -$pid;
	kill 'KILL', $pid;
	my $st = reap_process($pid, 30) // -1;
	$self->{pid} = undef;
	$self->{last_status} = $st;
	return $st;
}

sub DESTROY
{
	my ($self) = @_;
	return unless $$ == $owner_pid;
	local ($@, $!, $?);
	$self->kill9 if $self->{pid};
	return;
}

sub _kill_all
{
	return unless $$ == $owner_pid;
	for my $k (keys %live)
	{
		my $p = $live{$k} or next;
		$p->kill9 if $p->{pid};
	}
	return;
}

1;
