# Ferry::Test::Pg — a throw-away PostgreSQL 15 cluster for one TAP test file.
#
#   my $pg = Ferry::Test::Pg->new(name => 'pg');   # copies, installs, initdb
#   $pg->start;                                    # returns when it accepts
#   is($pg->psql('SELECT 1'), "1\n");
#   my ($rc, $out, $err) = $pg->psql_full('SELECT 1/0', user => 'bob');
#   $pg->stop;
#
# Nothing outside the test's scratch directory is written and root is never
# needed: the Debian PostgreSQL 15 tree (/usr/lib/postgresql/15 and
# /usr/share/postgresql/15) is copied as hard links (`cp -al`, a real copy
# with `cp -a` when links cannot be made) to
# regress/tmp_check/<test>/pg_<name>/pg_inst/usr/..., where PostgreSQL still
# finds its share and lib directories (it looks for them relative to its
# own binary).  The extension (pgext/) is installed into that copy with
# `make pgext-install DESTDIR=...`, so CREATE EXTENSION ferry loads what
# this checkout built.  Installing replaces files rather than writing into
# them, so the hard links never change /usr.
#
# The server listens on a UNIX socket in the test directory only
# (listen_addresses = ''), trusts local connections, and logs to
# pg_<name>/postgres.log.  initdb and postgres refuse to run as root: when
# the test runs as root (as CI does) the cluster runs as `nobody`
# (setpriv --reuid/--regid --clear-groups), its directory made accessible
# to it; when the test directory is not reachable by nobody (a checkout
# under /root), the cluster lives in a private directory under $TMPDIR
# instead, removed at the end.
#
# The superuser is `postgres`; psql runs as the test's own user and
# connects as `postgres` unless told otherwise.  The postmaster runs in its
# own process group (Ferry::Test::Process::spawn_process), so kill9 and
# pause/resume reach every backend.

package Ferry::Test::Pg;

use strict;
use warnings FATAL => 'all';

use Carp;
use File::Basename ();
use File::Path ();
use File::Spec;
use File::Temp ();
use POSIX ();
use Time::HiRes ();

use Ferry::Test::Process;
use Ferry::Test::Utils;

use parent -norequire, 'Ferry::Test::Process';

my $PG_VERSION = 15;

sub _pg_lib { return $ENV{FERRY_PG_LIBDIR} // "/usr/lib/postgresql/$PG_VERSION"; }
sub _pg_share { return $ENV{FERRY_PG_SHAREDIR} // "/usr/share/postgresql/$PG_VERSION"; }

# available() -> true when PostgreSQL 15's server binaries are installed
sub available
{
	return -x _pg_lib() . '/bin/postgres' && -x _pg_lib() . '/bin/initdb';
}

# new(name => NAME, extension => 1, conf => TEXT)
#   extension: install pgext/ into the copy (default 1)
#   conf: lines appended to postgresql.conf
# Copies the tree, installs the extension and runs initdb; does not start.
sub new
{
	my ($class, %opts) = @_;
	my $name = $opts{name} // 'pg';
	croak "Ferry::Test::Pg->new: bad name '$name'" unless $name =~ /^[\w.-]+$/;
	croak "Ferry::Test::Pg->new: PostgreSQL $PG_VERSION is not installed (" . _pg_lib()
	  . "/bin/postgres); run `make deps`"
	  unless available();
	my $dir = tmp_dir("pg_$name");
	my $self = bless {
		name => $name,
		dir => $dir,
		port => 5432,
		pid => undef,
		last_status => undef,
		as => [],
	}, $class;

	my $root = $> == 0;
	my $base = $dir;
	if ($root)
	{
		my ($uid, $gid) = (getpwnam('nobody'))[ 2, 3 ];
		croak "Ferry::Test::Pg: running as root, but there is no user nobody" unless defined $uid;
		$self->{uid} = $uid;
		$self->{gid} = $gid;
		$self->{user} = 'nobody';
		$self->{as} = [ "--reuid=$uid", "--regid=$gid", '--clear-groups' ];
		if (!$self->_reachable($dir))
		{
			# a private directory nobody can reach; the test directory
			# keeps a symbolic link to it for the logs
			$base = File::Temp::tempdir("ferry-pg-$name-XXXXXX", TMPDIR => 1, CLEANUP => 1);
			chmod(0755, $base) or croak "chmod $base: $!";
			symlink($base, "$dir/cluster") or croak "symlink $dir/cluster: $!";
		}
	}
	else
	{
		$self->{uid} = $>;
		$self->{gid} = (split ' ', $))[0];
		$self->{user} = scalar getpwuid($>);
	}
	$self->{base} = $base;
	$self->{inst} = "$base/pg_inst";
	$self->{bindir} = "$self->{inst}" . _pg_lib() . '/bin';
	$self->{data} = "$base/data";
	$self->{socket_dir} = "$base/sock";
	$self->{log_file} = "$base/postgres.log";
	croak "Ferry::Test::Pg: socket directory $self->{socket_dir} is too long for a UNIX socket"
	  if length("$self->{socket_dir}/.s.PGSQL.$self->{port}") > 107;

	$self->_copy_tree;
	$self->install_extension if $opts{extension} // 1;

	File::Path::make_path($self->{socket_dir});
	{
		open(my $fh, '>>', $self->{log_file}) or croak "$self->{log_file}: $!";
		close($fh);
	}
	if ($root)
	{
		chown($self->{uid}, $self->{gid}, $self->{socket_dir}, $self->{log_file}, $base)
		  or croak "chown $base: $!";
	}
	my ($rc, $out, $err) = $self->_run_as(
		[
			"$self->{bindir}/initdb", '-D', $self->{data}, '-U', 'postgres',
			'--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'
		],
		timeout => 300);
	croak "Ferry::Test::Pg: initdb failed (exit $rc):\n$out$err" if $rc != 0;

	my $conf = join("\n",
		"listen_addresses = ''",
		"unix_socket_directories = '$self->{socket_dir}'",
		"port = $self->{port}",
		'fsync = off',
		'synchronous_commit = off',
		'full_page_writes = off',
		'max_connections = 30',
		'shared_buffers = 16MB',
		"log_line_prefix = '%m [%p] %q%u@%d '",
		'log_min_messages = info',
		"lc_messages = 'C'",
		"datestyle = 'iso, ymd'",
		"timezone = 'UTC'",
		$opts{conf} // '',
		'');
	$self->append_conf($conf);
	return $self->_track;
}

sub name { return $_[0]{name}; }
sub dir { return $_[0]{dir}; }
sub data_dir { return $_[0]{data}; }
sub socket_dir { return $_[0]{socket_dir}; }
sub port { return $_[0]{port}; }
sub bindir { return $_[0]{bindir}; }
sub log_file { return $_[0]{log_file}; }
sub pid { return $_[0]{pid}; }
# the installation root (DESTDIR) of the copied tree
sub install_dir { return $_[0]{inst}; }
# the OS user, uid and gid the server runs as (what ferryd's SO_PEERCRED sees)
sub os_user { return $_[0]{user}; }
sub os_uid { return $_[0]{uid}; }
sub os_gid { return $_[0]{gid}; }
# setpriv arguments that run a command as the server's user ([] when the
# test is not root)
sub run_as { return @{ $_[0]{as} }; }

sub label { return "postgres $_[0]{name}"; }

# connstr(dbname => DB, user => USER) -> libpq conninfo of the server
sub connstr
{
	my ($self, %o) = @_;
	return sprintf('host=%s port=%d user=%s dbname=%s',
		$self->{socket_dir}, $self->{port}, $o{user} // 'postgres', $o{dbname} // 'postgres');
}

# _reachable(PATH): can nobody reach (search) PATH?
sub _reachable
{
	my ($self, $path) = @_;
	my ($rc) = run_cmd([ 'setpriv', @{ $self->{as} }, '--', 'test', '-x', $path ], timeout => 30);
	return $rc == 0;
}

sub _run_as
{
	my ($self, $cmd, %o) = @_;
	my @pre = @{ $self->{as} } ? ('setpriv', @{ $self->{as} }, '--') : ();
	return run_cmd([ @pre, @$cmd ], %o);
}

sub _copy_tree
{
	my ($self) = @_;
	for my $src (_pg_lib(), _pg_share())
	{
		my $dst = $self->{inst} . $src;
		my $parent = File::Basename::dirname($dst);
		File::Path::make_path($parent);
		my ($rc, undef, $err) = run_cmd([ 'cp', '-al', $src, $parent ], timeout => 300);
		if ($rc != 0)
		{
			# another file system, or protected_hardlinks for a non-root
			# user: a real copy
			File::Path::rmtree($dst);
			($rc, undef, $err) = run_cmd([ 'cp', '-a', $src, $parent ], timeout => 600);
			croak "Ferry::Test::Pg: cp -a $src $parent failed: $err" if $rc != 0;
		}
	}
	return;
}

# install_extension(): `make pgext-install DESTDIR=<copy>` in the checkout
# (builds pgext/ first when needed).  Croaks with make's output on failure.
sub install_extension
{
	my ($self) = @_;
	my $repo = repo_root();
	croak "Ferry::Test::Pg: no pgext/Makefile in $repo" unless -f "$repo/pgext/Makefile";
	my ($rc, $out, $err) = run_cmd(
		[
			'make', '--no-print-directory', '-C', $repo, 'pgext-install',
			"DESTDIR=$self->{inst}", 'PG_CONFIG=' . _pg_lib() . '/bin/pg_config'
		],
		timeout => 600);
	croak "Ferry::Test::Pg: make pgext-install failed (exit $rc):\n$out$err" if $rc != 0;
	return;
}

# append_conf(TEXT): appended to postgresql.conf (reload or restart to apply)
sub append_conf
{
	my ($self, $text) = @_;
	my $file = "$self->{data}/postgresql.conf";
	open(my $fh, '>>', $file) or croak "$file: $!";
	print $fh "\n$text\n" or croak "$file: $!";
	close($fh) or croak "$file: $!";
	return;
}

# start(timeout = 60): starts the postmaster; returns $self once it accepts
# connections, croaks (with the end of the log) otherwise.
sub start
{
	my ($self, $timeout) = @_;
	croak "postgres $self->{name}: already running (pid $self->{pid})" if $self->is_running;
	# a change of user clears the parent-death signal spawn_process set:
	# set it again after the change
	my @pre = @{ $self->{as} } ? ('setpriv', @{ $self->{as} }, '--pdeathsig', 'KILL', '--') : ();
	$self->{log_start} = -s $self->{log_file} // 0;
	$self->{pid} = Ferry::Test::Process::spawn_process($self->{log_file}, @pre,
		"$self->{bindir}/postgres", '-D', $self->{data});
	$self->{last_status} = undef;
	my $ok = poll_until(
		sub {
			return 1 if !$self->is_running;
			my ($rc) = run_cmd(
				[
					"$self->{bindir}/pg_isready", '-q', '-h', $self->{socket_dir},
					'-p', $self->{port}, '-U', 'postgres'
				],
				timeout => 30);
			return $rc == 0;
		},
		$timeout // 60,
		"postgres $self->{name} to accept connections");
	if (!$ok || !$self->is_running)
	{
		my $log = $self->log;
		$log = substr($log, -3000) if length($log) > 3000;
		croak "postgres $self->{name} did not start:\n$log";
	}
	return $self;
}

# stop(timeout => 60): fast shutdown (SIGINT: clients are disconnected),
# SIGKILL to the group after the timeout.  Returns the status (0).
sub stop
{
	my ($self, %opts) = @_;
	return $self->{last_status} unless $self->is_running;
	my $pid = $self->{pid};
	kill 'CONT', -$pid;    # in case it is paused
	kill 'INT', $pid;
	my $st = Ferry::Test::Process::reap_process($pid, $opts{timeout} // 60);
	if (!defined $st)
	{
		Test::More::diag("postgres $self->{name}: no exit after SIGINT, sending SIGKILL");
		kill 'KILL', -$pid;
		$st = Ferry::Test::Process::reap_process($pid, 30) // -1;
	}
	kill 'KILL', -$pid;
	$self->{pid} = undef;
	$self->{last_status} = $st;
	return $st;
}

# restart(): stop + start
sub restart
{
	my ($self) = @_;
	$self->stop;
	return $self->start;
}

# pause() / resume(): SIGSTOP / SIGCONT to the postmaster and every backend
sub pause
{
	my ($self) = @_;
	croak "postgres $self->{name}: not running" unless $self->is_running;
	kill 'STOP', -$self->{pid};
	return;
}

sub resume
{
	my ($self) = @_;
	croak "postgres $self->{name}: not running" unless $self->{pid};
	kill 'CONT', -$self->{pid};
	return;
}

# reload(): SIGHUP (postgresql.conf re-read)
sub reload
{
	my ($self) = @_;
	croak "postgres $self->{name}: not running" unless $self->is_running;
	kill 'HUP', $self->{pid};
	return;
}

# psql_full(SQL, user => ROLE, dbname => DB, timeout => SEC, opts => [...])
#   -> (exit, stdout, stderr) of psql -X -A -t -q -v ON_ERROR_STOP=1 with
#   SQL on stdin.
sub psql_full
{
	my ($self, $sql, %o) = @_;
	return run_cmd(
		[
			"$self->{bindir}/psql", '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1',
			'-h', $self->{socket_dir}, '-p', $self->{port},
			'-U', $o{user} // 'postgres', '-d', $o{dbname} // 'postgres',
			@{ $o{opts} // [] }
		],
		stdin => $sql,
		timeout => $o{timeout} // 180);
}

# psql(SQL, OPTIONS as psql_full) -> stdout; croaks when psql fails
sub psql
{
	my ($self, $sql, %o) = @_;
	my ($rc, $out, $err) = $self->psql_full($sql, %o);
	croak "psql failed (exit $rc) for: $sql\n$err" if $rc != 0;
	return $out;
}

# pg_regress(inputdir => DIR, tests => [ NAMES ], outputdir => DIR,
#            dbname => DB, opts => [ ... ])
#   -> (exit, stdout, stderr, diffs): runs PGXS's pg_regress against this
#   server (the database is dropped and created afresh); diffs is the text
#   of regression.diffs ('' when none).  outputdir defaults to
#   pg_<name>/regress.
sub pg_regress
{
	my ($self, %o) = @_;
	my $out_dir = $o{outputdir} // "$self->{dir}/regress";
	File::Path::make_path($out_dir);
	my $bin = $self->{inst} . _pg_lib() . '/lib/pgxs/src/test/regress/pg_regress';
	croak "Ferry::Test::Pg: no $bin" unless -x $bin;
	my @cmd = (
		$bin,
		"--bindir=$self->{bindir}",
		"--inputdir=" . ($o{inputdir} // croak 'pg_regress: inputdir required'),
		"--outputdir=$out_dir",
		"--host=$self->{socket_dir}",
		"--port=$self->{port}",
		'--user=postgres',
		'--dbname=' . ($o{dbname} // 'contrib_regression'),
		@{ $o{opts} // [] },
		@{ $o{tests} // croak 'pg_regress: tests required' });
	my ($rc, $out, $err) = run_cmd(\@cmd, timeout => $o{timeout} // 600);
	my $diffs = -e "$out_dir/regression.diffs" ? slurp("$out_dir/regression.diffs") : '';
	return ($rc, $out, $err, $diffs);
}

# log() -> the server log (every start)
sub log
{
	my ($self) = @_;
	return -e $self->{log_file} ? slurp($self->{log_file}) : '';
}

# crashes() -> server log lines telling of a backend that died by a signal
# or a crash-restart
sub crashes
{
	my ($self) = @_;
	return grep { /terminated by signal|was terminated by exception|server process .* exited with exit code [^0]|terminating any other active server processes/ }
	  split /\n/, $self->log;
}

1;
