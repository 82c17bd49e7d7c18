# Ferry::Test::Kafka — one real Apache Kafka cluster for a TAP test: a
# single KRaft node in combined broker+controller mode, run from the jars
# that regress/fetch-kafka.sh caches (see Ferry::Test::Utils::kafka_libs).
#
#   my $a = Ferry::Test::Kafka->new(name => 'A', extra_props => { ... });
#   $a->start;                       # ports, config, format, JVM, wait-ready
#   $a->create_topic('t', 4);
#   $a->produce('t', count => 1000);
#   my $recs = $a->dump('t');        # via kt, regress/tools/kt.c
#   $a->stop;                        # or kill9, restart, pause/resume
#   my ($A, $B) = Ferry::Test::Kafka->start_clusters('A', 'B');   # booted side by side
#
# Everything lives in regress/tmp_check/<test>/kafka_<name>/:
# server.properties, log4j.properties, data/ (log.dirs), broker.log (log4j)
# and broker.out (the JVM's stdout/stderr).
#
# A cluster keeps its two ports and its data across stop/start.  The JVM runs
# in its own process group under `setpriv --pdeathsig KILL`, so it dies with
# the test process; an END cleanup and DESTROY kill whatever is left.
#
# Methods that run kt die (croak) with kt's stderr when it fails; the *_result
# variants return (exit, stdout, stderr) instead.
#
# A secured second listener (kt and the harness keep using PLAINTEXT):
#
#   my $b = Ferry::Test::Kafka->new(name => 'B', secure => {
#       protocol => 'SASL_SSL',        # or 'SSL', 'SASL_PLAINTEXT'
#       users => { ferry => 'ferry-secret' },   # SASL/PLAIN users (SASL_*)
#       keystore => $pem,              # SSL, SASL_SSL: unencrypted PKCS#8 key
#                                      # followed by the certificate chain
#       truststore => $ca_pem,         # CA certificates (PEM), to check
#                                      # client certificates
#       client_auth => 'required',     # or 'requested', 'none' (default)
#       keystore_type => 'PEM',        # default PEM; for another type also
#       keystore_password => ...,      #   the passwords, passed as given
#       key_password => ...,
#       truststore_type => 'PEM',
#       truststore_password => ...,
#       listener => 'SECURE',          # the listener's name
#   });
#   $b->start;
#   $b->secure_bootstrap;              # "127.0.0.1:<port>" of that listener
#
# The listener gets one more port (kept across stop/start, like the others)
# and is added to listeners, advertised.listeners and
# listener.security.protocol.map; SASL listeners get sasl.enabled.mechanisms
# = PLAIN and listener.name.<lc>.plain.sasl.jaas.config with a user_<name>
# entry per user; SSL listeners get listener.name.<lc>.ssl.* settings.
# extra_props still override everything.

package Ferry::Test::Kafka;

use strict;
use warnings FATAL => 'all';

use Carp;
use File::Spec;
use IPC::Run ();
use MIME::Base64 ();
use Time::HiRes ();

use Ferry::Test::Process;
use Ferry::Test::Utils;

use parent -norequire, 'Ferry::Test::Process';

# Broker settings for a small test machine; extra_props override them.
my %DEFAULT_PROPS = (
	'process.roles' => 'broker,controller',
	'node.id' => 1,
	'controller.listener.names' => 'CONTROLLER',
	'listener.security.protocol.map' => 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
	'inter.broker.listener.name' => 'PLAINTEXT',
	'num.partitions' => 1,
	'default.replication.factor' => 1,
	'offsets.topic.replication.factor' => 1,
	'offsets.topic.num.partitions' => 4,
	'transaction.state.log.replication.factor' => 1,
	'transaction.state.log.min.isr' => 1,
	'transaction.state.log.num.partitions' => 4,
	'group.initial.rebalance.delay.ms' => 0,
	'auto.create.topics.enable' => 'false',
	'num.network.threads' => 2,
	'num.io.threads' => 2,
	'num.recovery.threads.per.data.dir' => 1,
	'background.threads' => 4,
	'log.cleaner.dedupe.buffer.size' => 16 * 1024 * 1024,
	'log.cleaner.threads' => 1,
	# After kill -9 the restarted controller keeps the dead incarnation's
	# registration until its session expires and refuses the new one
	# (DuplicateBrokerRegistrationException) meanwhile: 9 s by default,
	# ~16 s to restart with the registration backoff.  3 s gives ~5 s.
	'broker.session.timeout.ms' => 3000,
	'broker.heartbeat.interval.ms' => 500,
);

my @JVM_OPTS = qw(-Xmx384m -Xms64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
  -XX:-UsePerfData -Djava.awt.headless=true);

# new(name => NAME, extra_props => { key => value, ... }, secure => { ... })
# (secure: see the header comment)
sub new
{
	my ($class, %opts) = @_;
	my $name = $opts{name} // croak "Ferry::Test::Kafka->new: name required";
	croak "Ferry::Test::Kafka->new: bad name '$name'" unless $name =~ /^[\w.-]+$/;
	my $self = bless {
		name => $name,
		extra_props => { %{ $opts{extra_props} // {} } },
		dir => tmp_dir("kafka_$name"),
		port => undef,
		cport => undef,
		sport => undef,
		secure => _check_secure($name, $opts{secure}),
		pid => undef,
		last_status => undef,
	}, $class;
	return $self->_track;
}

sub name { return $_[0]{name}; }
sub dir { return $_[0]{dir}; }
sub port { return $_[0]{port}; }
sub controller_port { return $_[0]{cport}; }
sub pid { return $_[0]{pid}; }
sub log_file { return "$_[0]{dir}/broker.log"; }

sub bootstrap
{
	my ($self) = @_;
	croak "kafka $self->{name}: never started, no port yet" unless $self->{port};
	return "127.0.0.1:$self->{port}";
}

# The secured listener (new(secure => ...)): its port, "127.0.0.1:<port>",
# protocol and name; secure_port is undef before the first start.
sub secure_port
{
	my ($self) = @_;
	croak "kafka $self->{name}: no secure listener" unless $self->{secure};
	return $self->{sport};
}

sub secure_bootstrap
{
	my ($self) = @_;
	croak "kafka $self->{name}: no secure listener" unless $self->{secure};
	croak "kafka $self->{name}: never started, no port yet" unless $self->{sport};
	return "127.0.0.1:$self->{sport}";
}

sub secure_protocol
{
	my ($self) = @_;
	return $self->{secure} ? $self->{secure}{protocol} : undef;
}

sub secure_listener
{
	my ($self) = @_;
	return $self->{secure} ? $self->{secure}{listener} : undef;
}

my %SECURE_OPTS = map { $_ => 1 } qw(protocol users keystore truststore
  client_auth keystore_type keystore_password key_password truststore_type
  truststore_password listener);

# Validates and copies new()'s secure => { ... }; undef when absent.
sub _check_secure
{
	my ($name, $sec) = @_;
	return undef unless defined $sec;
	my $what = "Ferry::Test::Kafka->new(name => '$name', secure => ...)";
	croak "$what: expected a hash" unless ref $sec eq 'HASH';
	my @bad = grep { !$SECURE_OPTS{$_} } sort keys %$sec;
	croak "$what: unknown option(s) @bad" if @bad;
	my %s = %$sec;
	$s{users} = { %{ $s{users} // {} } };
	$s{listener} //= 'SECURE';
	croak "$what: bad listener name '$s{listener}'"
	  unless $s{listener} =~ /^[A-Z][A-Z0-9_]*$/
	  && $s{listener} !~ /^(PLAINTEXT|CONTROLLER)$/;
	my $proto = $s{protocol} // croak "$what: protocol required";
	croak "$what: protocol must be SSL, SASL_SSL or SASL_PLAINTEXT"
	  unless $proto =~ /^(SSL|SASL_SSL|SASL_PLAINTEXT)$/;
	if ($proto =~ /SSL/)
	{
		croak "$what: keystore required for $proto" unless defined $s{keystore};
	}
	else
	{
		my @ssl = grep { defined $s{$_} } qw(keystore truststore client_auth);
		croak "$what: @ssl given for SASL_PLAINTEXT" if @ssl;
	}
	if ($proto =~ /^SASL_/)
	{
		croak "$what: users required for $proto" unless %{ $s{users} };
		for my $u (sort keys %{ $s{users} })
		{
			croak "$what: bad user name '$u'" unless $u =~ /^[\w.-]+$/;
			croak "$what: password of $u must not contain \" or \\"
			  if $s{users}{$u} =~ /["\\]/;
		}
	}
	else
	{
		croak "$what: users given for $proto" if %{ $s{users} };
	}
	croak "$what: client_auth must be required, requested or none"
	  if defined $s{client_auth} && $s{client_auth} !~ /^(required|requested|none)$/;
	return \%s;
}

# Broker settings of the secured listener.
sub _secure_props
{
	my ($self) = @_;
	my $s = $self->{secure};
	my $lc = lc $s->{listener};
	my %p;
	if ($s->{protocol} =~ /^SASL_/)
	{
		my $u = $s->{users};
		my @names = sort keys %$u;
		$p{'sasl.enabled.mechanisms'} = 'PLAIN';
		$p{"listener.name.$lc.sasl.enabled.mechanisms"} = 'PLAIN';
		$p{"listener.name.$lc.plain.sasl.jaas.config"} =
		  'org.apache.kafka.common.security.plain.PlainLoginModule required'
		  . qq( username="$names[0]" password="$u->{$names[0]}")
		  . join('', map { qq( user_$_="$u->{$_}") } @names) . ';';
	}
	if ($s->{protocol} =~ /SSL$/)
	{
		my $pre = "listener.name.$lc.ssl";
		$p{"$pre.keystore.type"} = $s->{keystore_type} // 'PEM';
		$p{"$pre.keystore.location"} = $s->{keystore};
		$p{"$pre.keystore.password"} = $s->{keystore_password}
		  if defined $s->{keystore_password};
		$p{"$pre.key.password"} = $s->{key_password} if defined $s->{key_password};
		if (defined $s->{truststore})
		{
			$p{"$pre.truststore.type"} = $s->{truststore_type} // 'PEM';
			$p{"$pre.truststore.location"} = $s->{truststore};
			$p{"$pre.truststore.password"} = $s->{truststore_password}
			  if defined $s->{truststore_password};
		}
		$p{"$pre.client.auth"} = $s->{client_auth} // 'none';
	}
	return %p;
}

# Merged broker properties (defaults, listeners, extra_props).
sub props
{
	my ($self) = @_;
	my %p = %DEFAULT_PROPS;
	$p{'controller.quorum.voters'} = "1\@127.0.0.1:$self->{cport}";
	$p{listeners} =
	  "PLAINTEXT://127.0.0.1:$self->{port},CONTROLLER://127.0.0.1:$self->{cport}";
	$p{'advertised.listeners'} = "PLAINTEXT://127.0.0.1:$self->{port}";
	$p{'log.dirs'} = "$self->{dir}/data";
	if (my $s = $self->{secure})
	{
		my $l = "$s->{listener}://127.0.0.1:$self->{sport}";
		$p{listeners} .= ",$l";
		$p{'advertised.listeners'} .= ",$l";
		$p{'listener.security.protocol.map'} .= ",$s->{listener}:$s->{protocol}";
		%p = (%p, $self->_secure_props);
	}
	%p = (%p, %{ $self->{extra_props} });
	return \%p;
}

sub _write_file
{
	my ($file, $text) = @_;
	open(my $fh, '>', $file) or croak "cannot write $file: $!";
	print $fh $text or croak "cannot write $file: $!";
	close($fh) or croak "cannot write $file: $!";
	return;
}

sub _write_config
{
	my ($self) = @_;
	my $dir = $self->{dir};
	my $p = $self->props;
	_write_file("$dir/server.properties",
		"# written by Ferry::Test::Kafka\n"
		  . join('', map { "$_=$p->{$_}\n" } sort keys %$p));
	_write_file("$dir/log4j.properties", <<"EOF");
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/broker.log
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel\$=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
	return;
}

# A random Kafka Uuid: 16 bytes, base64url without padding, 22 chars.
sub _random_uuid
{
	open(my $fh, '<:raw', '/dev/urandom') or croak "/dev/urandom: $!";
	while (1)
	{
		my $bytes = '';
		read($fh, $bytes, 16) == 16 or croak "/dev/urandom: short read";
		next if $bytes eq "\0" x 16 || $bytes eq ("\0" x 15) . "\1";
		my $s = MIME::Base64::encode_base64($bytes, '');
		$s =~ tr{+/}{-_};
		$s =~ s/=+$//;
		next if $s =~ /^-/;
		close($fh);
		return $s;
	}
}

sub _java_cmd
{
	my ($self, @rest) = @_;
	my $libs = kafka_libs();
	return ('java', @JVM_OPTS, '-cp', "$libs/*",
		"-Dlog4j.configuration=file:$self->{dir}/log4j.properties", @rest);
}

sub _format
{
	my ($self) = @_;
	$self->{cluster_id} //= _random_uuid();
	my ($rc, $out, $err) = run_cmd(
		[
			$self->_java_cmd(
				'kafka.tools.StorageTool', 'format',
				'-t', $self->{cluster_id},
				'-c', "$self->{dir}/server.properties")
		],
		timeout => 120);
	croak "kafka $self->{name}: storage format failed (exit $rc):\n$out$err" if $rc;
	return;
}

sub cluster_id { return $_[0]{cluster_id}; }

sub label { return "kafka $_[0]{name}"; }

# Ferry::Test::Kafka->start_clusters(NAME, ...): one single-broker cluster
# per name, started side by side (the JVMs boot in parallel) and each
# waited for; returns them in order.
sub start_clusters
{
	my ($class, @names) = @_;
	my @k = map { $class->new(name => $_) } @names;
	$_->start(wait => 0) for @k;
	$_->wait_ready for @k;
	return @k;
}

# start(wait => 1, timeout => 120): writes the configuration, formats the
# storage on the first start, starts the JVM and (unless wait => 0) waits
# until the broker serves metadata.  Dies with the end of the log on failure.
sub start
{
	my ($self, %opts) = @_;
	croak "kafka $self->{name}: already running" if $self->is_running;
	$self->{port} //= free_port();
	$self->{cport} //= free_port();
	$self->{sport} //= free_port() if $self->{secure};
	$self->_write_config;
	$self->_format unless -e "$self->{dir}/data/meta.properties";
	$self->{pid} = Ferry::Test::Process::spawn_process("$self->{dir}/broker.out",
		$self->_java_cmd('kafka.Kafka', "$self->{dir}/server.properties"));
	$self->{started_at} = Time::HiRes::time();
	$self->wait_ready(timeout => $opts{timeout} // 120)
	  if $opts{wait} // 1;
	return $self;
}

# wait_ready(timeout => SEC): waits until the started broker serves
# metadata; dies (after killing the JVM) with the log tail otherwise.
sub wait_ready
{
	my ($self, %opts) = @_;
	my $timeout = $opts{timeout} // 120;
	my $deadline = Time::HiRes::time() + $timeout;
	my $last = '';
	while (1)
	{
		if (!$self->is_running)
		{
			$self->_start_failed("JVM exited with status "
				  . ($self->{last_status} // '?'));
		}
		my ($rc, $out, $err) =
		  $self->kt_result('wait-ready', '--timeout', 5);
		if ($rc == 0)
		{
			$self->{ready_after} = Time::HiRes::time() - $self->{started_at};
			return 1;
		}
		$last = $err;
		last if Time::HiRes::time() >= $deadline;
	}
	$self->kill9;
	$self->_start_failed("not ready after ${timeout}s: $last");
}

sub _tail
{
	my ($file, $n) = @_;
	return '' unless -e $file;
	my @lines = split /\n/, slurp($file);
	@lines = @lines[-$n .. -1] if @lines > $n;
	return join('', map { "$_\n" } @lines);
}

sub _start_failed
{
	my ($self, $why) = @_;
	my $msg = "kafka $self->{name}: start failed: $why\n";
	for my $f ('broker.log', 'broker.out')
	{
		my $t = _tail("$self->{dir}/$f", 30);
		$msg .= "--- last 30 lines of $self->{dir}/$f ---\n$t" if length $t;
	}
	croak $msg;
}

# restart(%start_opts): stop, then start with the same ports and data.
sub restart
{
	my ($self, %opts) = @_;
	$self->stop;
	return $self->start(%opts);
}

sub pause
{
	my ($self) = @_;
	croak "kafka $self->{name}: not running" unless $self->is_running;
	kill 'STOP', -$self->{pid};
	return;
}

sub resume
{
	my ($self) = @_;
	croak "kafka $self->{name}: not running" unless $self->{pid};
	kill 'CONT', -$self->{pid};
	return;
}

# ------------------------------------------------------------------ kt

sub kt_path { return File::Spec->catfile(build_dir(), 'kt'); }

# kt_result(@args) -> (exit, stdout, stderr) of `kt -b BOOTSTRAP @args`.
sub kt_result
{
	my ($self, @args) = @_;
	my ($rc, $out, $err) =
	  run_cmd([ kt_path(), '-b', $self->bootstrap, @args ], timeout => 600);
	# a sanitizer build reports on stderr; never let that pass unnoticed
	croak "kafka $self->{name}: kt @args: sanitizer report (exit $rc):\n$err"
	  if $err =~ /ERROR: \w+Sanitizer|runtime error:/;
	return ($rc, $out, $err);
}

# kt(@args) -> stdout; dies with stderr on a non-zero exit.
sub kt
{
	my ($self, @args) = @_;
	my ($rc, $out, $err) = $self->kt_result(@args);
	croak "kafka $self->{name}: kt @args: exit $rc\n$err" if $rc != 0;
	return $out;
}

# create_topic($topic, $partitions, config_key => value, ...)
sub create_topic
{
	my ($self, $topic, $parts, %cfg) = @_;
	$self->kt('create', $topic, $parts, map { ('--config', "$_=$cfg{$_}") } sort keys %cfg);
	return;
}

# topic_configs($topic) -> { key => value } of its topic-level configs
sub topic_configs
{
	my ($self, $topic) = @_;
	my %c = map { split /\t/, $_, 2 } split /\n/, $self->kt('configs', $topic);
	return \%c;
}

# set_topic_configs($topic, key => value, ...): the topic's topic-level
# configs become exactly these (whole-set AlterConfigs)
sub set_topic_configs
{
	my ($self, $topic, %cfg) = @_;
	$self->kt('set-config', $topic, map { "$_=$cfg{$_}" } sort keys %cfg);
	return;
}

sub add_partitions
{
	my ($self, $topic, $total) = @_;
	$self->kt('add-partitions', $topic, $total);
	return;
}

sub delete_topic
{
	my ($self, $topic) = @_;
	$self->kt('delete', $topic);
	return;
}

# topics(all => 0|1) -> { name => partitions }
sub topics
{
	my ($self, %opts) = @_;
	my $out = $self->kt('topics', $opts{all} ? '--all' : ());
	my %t = map { split /\t/ } split /\n/, $out;
	return \%t;
}

# the arguments of `kt produce` for produce() and produce_bg()
sub _produce_args
{
	my ($topic, %o) = @_;
	croak "produce: count required" unless defined $o{count};
	my @args = ('produce', $topic, '--count', $o{count});
	push @args, '--start', $o{start} if defined $o{start};
	push @args, '--size', $o{size} if defined $o{size};
	push @args, '--partition', $o{partition} if defined $o{partition};
	push @args, '--transactional-id', $o{transactional_id}
	  if defined $o{transactional_id};
	push @args, '--abort-every', $o{abort_every} if defined $o{abort_every};
	push @args, '--rate', $o{rate} if defined $o{rate};
	return @args;
}

# produce($topic, count => N, start => S, size => BYTES, partition => P,
#         transactional_id => ID, abort_every => K, rate => PER_SEC)
#         -> [ aborted seqs ]
sub produce
{
	my ($self, $topic, %o) = @_;
	my $out = $self->kt(_produce_args($topic, %o));
	return [ $out =~ /^aborted (\d+)$/mg ];
}

# produce_bg($topic, same options as produce) -> (finish, writing): the
# same records from a producer in the background (use rate to pace it).
# finish() waits for it and returns (exit, stderr); writing() says whether
# it still runs.
sub produce_bg
{
	my ($self, $topic, %o) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start([ kt_path(), '-b', $self->bootstrap, _produce_args($topic, %o) ],
		'>', \$out, '2>', \$err);
	return (sub {
		$h->finish;
		return ($h->full_result(0) >> 8, $err);
	}, sub { return eval { $h->pump_nb; 1 } && $h->pumpable ? 1 : 0; });    # pump_nb dies once it ended
}

sub _escape
{
	my ($s, $in_header) = @_;
	return '\N' unless defined $s;
	croak "put: wide character in '$s' (pass bytes)" if $s =~ /[^\x00-\xff]/;
	my $re = $in_header ? qr/([\x00-\x1f\x7f-\xff\\,=])/ : qr/([\x00-\x1f\x7f-\xff\\])/;
	$s =~ s/$re/sprintf('\\x%02x', ord $1)/ge;
	return $s;
}

# put($topic, key => BYTES, value => BYTES, headers => [ [name, value], ... ],
#     partition => P, timestamp => MS) -> (partition, offset)
# One record; key and value are null when absent or undef, a header value
# is null when undef.
sub put
{
	my ($self, $topic, %o) = @_;
	my @args = ('put', $topic, '--key', _escape($o{key}), '--value', _escape($o{value}));
	push @args, '--partition', $o{partition} if defined $o{partition};
	push @args, '--timestamp', $o{timestamp} if defined $o{timestamp};
	for my $h (@{ $o{headers} // [] })
	{
		croak "put: header without a name" unless defined $h->[0] && length $h->[0];
		push @args, '--header', _escape($h->[0], 1) . '=' . _escape($h->[1], 1);
	}
	my $out = $self->kt(@args);
	my ($p, $off) = $out =~ /^(\d+)\t(\d+)$/m
	  or croak "kafka $self->{name}: kt put: unexpected output: $out";
	return ($p + 0, $off + 0);
}

# count($topic) -> sum over partitions of high - low watermark
sub count
{
	my ($self, $topic) = @_;
	my $out = $self->kt('count', $topic);
	chomp $out;
	return $out + 0;
}

sub _unescape
{
	my ($s) = @_;
	$s =~ s/\\x([0-9a-f]{2})/chr(hex($1))/ge;
	return $s;
}

# dump($topic, isolation => 'read_committed'|'read_uncommitted',
#      timeout => SEC) -> [ { partition, offset, timestamp, key, value,
#      headers => { name => value }, header_list => [ [name, value], ... ] } ]
# in partition, offset order.  Null keys/values are undef.
sub dump
{
	my ($self, $topic, %o) = @_;
	my @args = ('dump', $topic);
	push @args, '--isolation', $o{isolation} if defined $o{isolation};
	push @args, '--timeout', $o{timeout} if defined $o{timeout};
	my $out = $self->kt(@args);
	my @recs;
	$#recs = ($out =~ tr/\n//) - 1;
	my $i = 0;
	for my $line (split /\n/, $out)
	{
		my ($p, $off, $ts, $k, $v, $h) = split /\t/, $line, -1;
		croak "kt dump: bad line: $line" unless defined $h;
		for ($k, $v)
		{
			if ($_ eq '\N') { $_ = undef; }
			elsif (index($_, '\\') >= 0) { $_ = _unescape($_); }
		}
		my (%hdrs, @hlist);
		if ($h ne '')
		{
			for my $pair (split /,/, $h)
			{
				my ($hn, $hv) = split /=/, $pair, 2;
				$hn = _unescape($hn) if index($hn, '\\') >= 0;
				if (!defined $hv || $hv eq '\N') { $hv = undef; }
				elsif (index($hv, '\\') >= 0) { $hv = _unescape($hv); }
				$hdrs{$hn} = $hv;
				push @hlist, [ $hn, $hv ];
			}
		}
		$recs[ $i++ ] = {
			partition => $p + 0,
			offset => $off + 0,
			timestamp => $ts + 0,
			key => $k,
			value => $v,
			headers => \%hdrs,
			header_list => \@hlist,
		};
	}
	$#recs = $i - 1;
	return \@recs;
}

# seqcheck($topic, count => N, start => S, exact => 0|1,
#          exclude_file => FILE | exclude => [ seqs ], timeout => SEC)
# -> { records, distinct, missing, duplicates, outoforder, unexpected,
#      missing_list => [..], unexpected_list => [..], exit, summary (the
#      one-line counts), output, stderr }
sub seqcheck
{
	my ($self, $topic, %o) = @_;
	croak "seqcheck: count required" unless defined $o{count};
	my @args = ('seqcheck', $topic, '--count', $o{count});
	push @args, '--start', $o{start} if defined $o{start};
	push @args, '--exact' if $o{exact};
	push @args, '--timeout', $o{timeout} if defined $o{timeout};
	my $exclude = $o{exclude_file};
	if (!defined $exclude && $o{exclude})
	{
		$exclude = "$self->{dir}/exclude-" . ++$self->{nexclude} . '.txt';
		_write_file($exclude, join('', map { "$_\n" } @{ $o{exclude} }));
	}
	push @args, '--exclude-file', $exclude if defined $exclude;
	my ($rc, $out, $err) = $self->kt_result(@args);
	my ($line) = $out =~ /^(records=.*)$/m
	  or croak "kafka $self->{name}: kt @args: exit $rc\n$out$err";
	my %r = $line =~ /(\w+)=(\d+)/g;
	my ($miss) = $out =~ /^missing:(.*)$/m;
	my ($unexp) = $out =~ /^unexpected:(.*)$/m;
	$r{missing_list} = [ defined $miss ? $miss =~ /(-?\d+)/g : () ];
	$r{unexpected_list} = [ defined $unexp ? $unexp =~ /(?:^| )(-?\d+)(?= |$)/g : () ];
	$r{exit} = $rc;
	$r{summary} = $line;
	$r{output} = $out;
	$r{stderr} = $err;
	return \%r;
}

# group_commit($group, $topic, $partition, $offset)
sub group_commit
{
	my ($self, $group, $topic, $partition, $offset) = @_;
	$self->kt('group-commit', $group, $topic, $partition, $offset);
	return;
}

# group_offsets($group) -> { topic => { partition => offset } }
sub group_offsets
{
	my ($self, $group) = @_;
	my %g;
	for my $line (split /\n/, $self->kt('group-offsets', $group))
	{
		my ($t, $p, $off) = split /\t/, $line;
		$g{$t}{$p} = $off + 0;
	}
	return \%g;
}

# The value `kt produce` writes for seq with --size $size.
sub record_value
{
	my ($seq, $size) = @_;
	$size //= 100;
	my $filler = join('', 'A' .. 'Z', 'a' .. 'z', '0' .. '9');
	my $v = "$seq:";
	for (my $i = length $v; $i < $size; $i++)
	{
		$v .= substr($filler, ($seq + $i) % 62, 1);
	}
	return $v;
}

1;
