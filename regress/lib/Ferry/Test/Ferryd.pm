# Ferry::Test::Ferryd — one ferryd process for a TAP test.
#
#   my $f = Ferry::Test::Ferryd->new(name => 'f', config => $mm2_properties);
#   $f->start;                                   # returns at once
#   $f->wait_for_log(qr/replicating/, 60) or die;
#   is($f->stop, 0, 'clean exit on SIGTERM');
#
# Everything lives in regress/tmp_check/<test>/ferryd_<name>/: mm2.properties
# (the configuration), state/ (--state-dir) and ferryd.log (stdout and
# stderr of every start, appended).  The binary is $(build_dir)/ferryd, so
# FERRY_BUILD selects the release or the sanitizer build.
#
# ferryd runs in its own process group under `setpriv --pdeathsig KILL` (see
# Ferry::Test::Process::spawn_process), so it dies with the test process; an
# END cleanup and DESTROY kill whatever is left.
#
# Statuses are decoded wait statuses: the exit code, or 128+signal.

package Ferry::Test::Ferryd;

use strict;
use warnings FATAL => 'all';

use Carp;
use File::Path ();
use File::Spec;
use JSON::PP ();
use Time::HiRes ();

use Ferry::Test::Process;
use Ferry::Test::Utils;

use parent -norequire, 'Ferry::Test::Process';

# new(name => NAME, config => TEXT)
sub new
{
	my ($class, %opts) = @_;
	my $name = $opts{name} // croak "Ferry::Test::Ferryd->new: name required";
	croak "Ferry::Test::Ferryd->new: bad name '$name'" unless $name =~ /^[\w.-]+$/;
	my $dir = tmp_dir("ferryd_$name");
	my $self = bless {
		name => $name,
		dir => $dir,
		config_file => "$dir/mm2.properties",
		state_dir => "$dir/state",
		log_file => "$dir/ferryd.log",
		pid => undef,
		last_status => undef,
		ncheck => 0,
	}, $class;
	$self->set_config($opts{config} // '');
	return $self->_track;
}

sub name { return $_[0]{name}; }
sub dir { return $_[0]{dir}; }
sub config_file { return $_[0]{config_file}; }
sub state_dir { return $_[0]{state_dir}; }
sub log_file { return $_[0]{log_file}; }
sub pid { return $_[0]{pid}; }
sub last_status { return $_[0]{last_status}; }

sub binary { return File::Spec->catfile(build_dir(), 'ferryd'); }

sub label { return "ferryd $_[0]{name}"; }

sub _write_file
{
	my ($file, $text) = @_;
	open(my $fh, '>', $file) or croak "cannot write $file: $!";
	print $fh $text or croak "cannot write $file: $!";
	close($fh) or croak "cannot write $file: $!";
	return;
}

# set_config(TEXT): rewrites mm2.properties (a running ferryd is not told).
# Unless TEXT sets them, the control socket goes into the ferryd directory
# and /metrics onto a free port, so several ferryd never collide:
# socket_path() and metrics_url() tell where.
sub set_config
{
	my ($self, $text) = @_;
	$self->{socket_path} = "$self->{dir}/control.sock";
	if ($text =~ /^\s*ferry\.control\.socket\s*[=:]\s*(\S+)/m)
	{
		$self->{socket_path} = $1;
	}
	elsif ($text ne '')
	{
		$text .= "\n" unless $text =~ /\n\z/;
		$text .= "ferry.control.socket = $self->{socket_path}\n";
	}
	if ($text =~ /^\s*ferry\.metrics\.listen\s*[=:]\s*(\S+)/m)
	{
		$self->{metrics_url} = $1 eq 'off' ? undef : "http://$1/metrics";
	}
	elsif ($text ne '')
	{
		my $port = free_port();
		$text .= "ferry.metrics.listen = 127.0.0.1:$port\n";
		$self->{metrics_url} = "http://127.0.0.1:$port/metrics";
	}
	_write_file($self->{config_file}, $text);
	return;
}

sub socket_path { return $_[0]{socket_path}; }
sub metrics_url { return $_[0]{metrics_url}; }

sub config { return slurp($_[0]{config_file}); }

# start(args => [ extra arguments ], state_dir => DIR, log_level => LEVEL,
#       env => { NAME => VALUE }, wrap => [ command that execs its arguments ])
# Runs `[WRAP...] ferryd --state-dir DIR --log-level LEVEL ARGS... mm2.properties`
# and returns at once (see wait_for_log).  The state directory is created
# if missing.  Returns $self.
sub start
{
	my ($self, %opts) = @_;
	croak "ferryd $self->{name}: already running (pid $self->{pid})" if $self->is_running;
	my $bin = binary();
	croak "ferryd $self->{name}: $bin is not built" unless -x $bin;
	$self->{state_dir} = $opts{state_dir} if defined $opts{state_dir};
	File::Path::make_path($self->{state_dir}) unless -d $self->{state_dir};
	my @cmd = (
		@{ $opts{wrap} // [] },
		$bin,
		'--state-dir', $self->{state_dir},
		'--log-level', $opts{log_level} // 'debug',
		@{ $opts{args} // [] },
		$self->{config_file});
	{
		open(my $fh, '>>', $self->{log_file}) or croak "$self->{log_file}: $!";
		printf $fh "# %s Ferry::Test::Ferryd: %s\n", scalar(localtime), join(' ', @cmd);
		close($fh);
	}
	local %ENV = (%ENV, %{ $opts{env} // {} });
	$self->{started_at} = $self->log_position;
	$self->{pid} = Ferry::Test::Process::spawn_process($self->{log_file}, @cmd);
	$self->{last_status} = undef;
	return $self;
}

# wait_control(timeout = 60): waits until the ferryd started last serves its
# control socket (flows may still be starting).  True, or undef after a
# diag.
sub wait_control
{
	my ($self, $timeout) = @_;
	return $self->wait_for_log(qr/control socket \S+ ready/, $timeout // 60, $self->{started_at} // 0);
}

# ferry({ as => [ setpriv args ], stdin => TEXT }, ARGS...) -> (exit,
# stdout, stderr) of the `ferry` shell run against this ferryd's control
# socket with ARGS (the options hash is optional).
sub ferry
{
	my ($self, @args) = @_;
	my %o = ref $args[0] eq 'HASH' ? %{ shift @args } : ();
	my @pre = $o{as} ? ('setpriv', @{ $o{as} }, '--') : ();
	return run_cmd([ @pre, File::Spec->catfile(build_dir(), 'ferry'), '-s', $self->socket_path, @args ],
		timeout => 120, defined $o{stdin} ? (stdin => $o{stdin}) : ());
}

# lag(FLOW, TOPIC) -> the summed lag of TOPIC's partitions in FLOW (every
# topic's when TOPIC is undef), as `ferry show lag FLOW` reports it; 0 when
# ferryd does not answer.
sub lag
{
	my ($self, $flow, $topic) = @_;
	my (undef, $out) = $self->ferry('show', 'lag', $flow, '|', 'json');
	my $rows = (eval { JSON::PP::decode_json($out) } // {})->{result}{rows} // [];
	my $lag = 0;
	$lag += $_->[5] // 0 for grep { !defined $topic || $_->[1] eq $topic } @$rows;
	return $lag;
}

# wait_rounds(FLOW, N = 2, timeout = 60): waits for N more topic-discovery
# rounds of FLOW from now (they are logged at debug level), so that a test
# can say what a round did not do.  True, or undef after a diag.
sub wait_rounds
{
	my ($self, $flow, $n, $timeout) = @_;
	my $pos = $self->log_position;
	for (1 .. ($n // 2))
	{
		$pos = $self->wait_for_log(qr/\Q$flow\E: discovery round \d+ done/, $timeout // 60, $pos)
		  or return undef;
	}
	return 1;
}

# signal(NAME): sends a signal (e.g. 'HUP') to ferryd.
sub signal
{
	my ($self, $sig) = @_;
	croak "ferryd $self->{name}: not running" unless $self->is_running;
	kill($sig, $self->{pid}) or croak "ferryd $self->{name}: kill $sig: $!";
	return;
}

# wait_exit(timeout => SEC): waits for ferryd to exit on its own; returns
# the status, or undef if it still runs at the timeout.
sub wait_exit
{
	my ($self, %opts) = @_;
	return $self->{last_status} unless $self->{pid};
	my $st = Ferry::Test::Process::reap_process($self->{pid}, $opts{timeout} // 60);
	return undef unless defined $st;
	$self->{pid} = undef;
	$self->{last_status} = $st;
	return $st;
}

# log() -> the whole ferryd.log
sub log
{
	my ($self) = @_;
	return -e $self->{log_file} ? slurp($self->{log_file}) : '';
}

# log_position() -> current size of ferryd.log, for wait_for_log's offset
sub log_position
{
	my ($self) = @_;
	return -s $self->{log_file} // 0;
}

# wait_for_log(qr/.../, timeout_sec = 60, offset = 0): waits until the log
# after byte offset matches.  Returns the offset just past the match (true),
# or undef after a diag on timeout.
sub wait_for_log
{
	my ($self, $re, $timeout, $offset) = @_;
	$timeout //= 60;
	$offset //= 0;
	my $end;
	poll_until(
		sub {
			my $log = $self->log;
			return 0 if length($log) <= $offset;
			pos($log) = $offset;
			return 0 unless $log =~ /$re/g;
			$end = pos($log);
			return 1;
		},
		$timeout,
		"ferryd $self->{name} log to match $re")
	  or return undef;
	return $end;
}

# check_config(FILE or TEXT) -> (exit, stdout, stderr) of
# `ferryd --check-config FILE`.  TEXT (anything that is not an existing
# file) is written to a fresh file in the ferryd directory first.
sub check_config
{
	my ($self, $arg) = @_;
	my $file = $arg;
	if ($arg =~ /\n/ || !-f $arg)
	{
		$file = "$self->{dir}/check-" . ++$self->{ncheck} . '.properties';
		_write_file($file, $arg);
	}
	return run_cmd([ binary(), '--check-config', $file ], timeout => 120);
}

# Sanitizer reports (ASan/UBSan/LSan) in the log, as a list of lines.
sub sanitizer_reports
{
	my ($self) = @_;
	return grep { /ERROR: \w+Sanitizer|runtime error:|SUMMARY: \w+Sanitizer/ }
	  split /\n/, $self->log;
}

1;
