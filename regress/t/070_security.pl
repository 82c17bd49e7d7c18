# 070_security: ferryd translates MM2's (Java client) security settings to
# librdkafka and mirrors through secured listeners of real Kafka brokers.
#
# Cluster A offers an SSL listener that requires a client certificate;
# cluster B offers a SASL_SSL listener with SASL/PLAIN users.  The test
# harness and kt keep using the PLAINTEXT listeners; ferryd's configuration
# names only the secured ones, written exactly as an MM2 user writes it:
# PKCS#12 truststore and keystore with passwords for A, a PEM truststore
# and a PlainLoginModule JAAS line for B.  Key material is made at test
# time with the openssl command line (Ferry::Test::Certs).
#
# Checked: the listeners really refuse clients without a certificate or
# with a wrong password (plain librdkafka settings, through kt); records
# arrive on B complete and identical; --check-config and ferryd's debug log
# never show a secret; a wrong SASL password is logged as an authentication
# error, ferryd keeps running and copies nothing, and exits 0 on SIGTERM;
# a JKS truststore is refused with a keytool hint naming file:line and key,
# a wrong keystore password before anything starts.
use strict;
use warnings FATAL => 'all';

use Test::More;
use Time::HiRes ();

use Ferry::Test::Certs;
use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my $t0 = Time::HiRes::time();

my $certs = Ferry::Test::Certs::make_certs(tmp_dir('certs'),
	trust_password => 'trustpw', key_password => 'keypw');
my $sasl_password = 'ferry-secret';
my $wrong_password = 'wrong-password-77';
my @secrets = ($sasl_password, 'keypw', 'trustpw');

my $A = Ferry::Test::Kafka->new(
	name => 'A',
	secure => {
		protocol => 'SSL',
		keystore => $certs->{broker_keystore},
		truststore => $certs->{ca},
		client_auth => 'required',
	});
my $B = Ferry::Test::Kafka->new(
	name => 'B',
	secure => {
		protocol => 'SASL_SSL',
		users => { ferry => $sasl_password, other => 'other-secret' },
		keystore => $certs->{broker_keystore},
	});
# both JVMs boot at once; then wait for each
$A->start(wait => 0);
$B->start(wait => 0);
$A->wait_ready;
$B->wait_ready;
isnt($A->secure_port, $A->port, 'A: secure listener on a port of its own');
is($A->props->{'listener.name.secure.ssl.client.auth'}, 'required',
	'A: SSL listener requires a client certificate');
like($B->props->{'listener.name.secure.plain.sasl.jaas.config'},
	qr/PlainLoginModule required .* user_ferry="\Q$sasl_password\E"/,
	'B: SASL/PLAIN listener knows user ferry');

# --- the listeners enforce what they claim: plain librdkafka settings ---
sub kt_secure
{
	my ($cluster, $x, @args) = @_;
	my ($rc, $out, $err) = run_cmd(
		[ Ferry::Test::Kafka::kt_path(), '-b', $cluster->secure_bootstrap,
			(map { ('-X', "$_=$x->{$_}") } sort keys %$x), @args ],
		timeout => 120);
	die "kt: sanitizer report:\n$err" if $err =~ /ERROR: \w+Sanitizer|runtime error:/;
	return ($rc, $err);
}
my %a_tls = ('security.protocol' => 'ssl', 'ssl.ca.location' => $certs->{ca});
my ($krc, $kerr) = kt_secure($A, \%a_tls, 'wait-ready', '--timeout', 4);
isnt($krc, 0, 'A: a TLS client without certificate is refused') or diag($kerr);
($krc, $kerr) = kt_secure($A,
	{ %a_tls, 'ssl.key.location' => $certs->{client_key},
		'ssl.certificate.location' => $certs->{client_crt} },
	'wait-ready', '--timeout', 60);
is($krc, 0, 'A: a TLS client with the client certificate gets in') or diag($kerr);
my %b_sasl = ('security.protocol' => 'sasl_ssl', 'ssl.ca.location' => $certs->{ca},
	'sasl.mechanisms' => 'PLAIN', 'sasl.username' => 'ferry');
($krc, $kerr) = kt_secure($B, { %b_sasl, 'sasl.password' => $wrong_password },
	'wait-ready', '--timeout', 4);
isnt($krc, 0, 'B: a wrong SASL password is refused') or diag($kerr);
($krc, $kerr) = kt_secure($B, { %b_sasl, 'sasl.password' => $sasl_password },
	'wait-ready', '--timeout', 60);
is($krc, 0, 'B: the right SASL password gets in') or diag($kerr);

# --- source data, through A's PLAINTEXT listener ---
my $n1 = 20000;
my $n2 = 3000;
$A->create_topic('orders', 3);
$A->produce('orders', count => $n1, start => 0);
$A->create_topic('odd', 1);
$A->put('odd', key => "k\x00\xff", value => "v\tsecure",
	headers => [ [ 'h', "x\x00y" ], [ 'h-null', undef ] ], timestamp => 1234567);

# ferryd's configuration, as an MM2 user writes it for these listeners
sub secure_config
{
	my (%o) = @_;
	my $pw = $o{b_password} // $sasl_password;
	my $text = "# written by " . test_name() . ": MM2 security settings\n"
	  . "clusters = A, B\n"
	  . "A.bootstrap.servers = " . $A->secure_bootstrap . "\n"
	  . "A.security.protocol = SSL\n"
	  . "A.ssl.truststore.location = " . ($o{a_truststore} // $certs->{trust_p12}) . "\n"
	  . "A.ssl.truststore.type = " . ($o{a_truststore_type} // 'PKCS12') . "\n"
	  . "A.ssl.truststore.password = trustpw\n"
	  . "A.ssl.keystore.location = $certs->{client_p12}\n"
	  . "A.ssl.keystore.type = PKCS12\n"
	  . "A.ssl.keystore.password = keypw\n"
	  . "B.bootstrap.servers = " . $B->secure_bootstrap . "\n"
	  . "B.security.protocol = SASL_SSL\n"
	  . "B.sasl.mechanism = PLAIN\n"
	  . "B.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule"
	  . qq( required username="ferry" password="$pw";\n)
	  . "B.ssl.truststore.location = $certs->{ca}\n"
	  . "B.ssl.truststore.type = PEM\n"
	  . "A->B.enabled = true\n"
	  . "A->B.topics = orders, odd\n"
	  . "replication.factor = 1\n"
	  . "heartbeats.topic.replication.factor = 1\ncheckpoints.topic.replication.factor = 1\n"
	  . "offset-syncs.topic.replication.factor = 1\n";
	return $text;
}

my $f = Ferry::Test::Ferryd->new(name => 'secure', config => secure_config());
my $cfg = $f->config;
ok($cfg !~ /:(\Q${\ $A->port}\E|\Q${\ $B->port}\E)\b/,
	'ferryd is given only the secured listeners');

# --- --check-config: accepted, secrets hidden ---
my ($rc, $out, $err) = $f->check_config($f->config_file);
is($rc, 0, '--check-config accepts the MM2 security settings') or diag($err);
is($err, '', 'with no warning: every security key is understood');
like($out, qr/sasl\.jaas\.config=\[hidden\]/, '--check-config hides sasl.jaas.config');
like($out, qr/ssl\.truststore\.password=\[hidden\]/, '... and the truststore password');
like($out, qr/ssl\.keystore\.password=\[hidden\]/, '... and the keystore password');
like($out, qr/consumer:.*security\.protocol=SSL/, 'consumer of A uses SSL');
like($out, qr/producer:.*security\.protocol=SASL_SSL/, 'producer to B uses SASL_SSL');
for my $s (@secrets)
{
	unlike($out . $err, qr/\Q$s\E/, "--check-config never prints $s");
}

# --- mirroring through the secured listeners ---
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'flow A->B running over SSL and SASL_SSL')
  or diag($f->log);
ok(wait_count($B, 'A.orders', $n1, 180), "A.orders on B holds $n1 records");
my $r = $B->seqcheck('A.orders', count => $n1, exact => 1);
is($r->{exit}, 0, "A.orders: every record exactly once: $r->{summary}");
mirror_identical($A, 'orders', $B, 'A.orders',
	'A.orders: same partition and order, identical key, value, headers, timestamp');
ok(wait_count($B, 'A.odd', 1, 120), 'edge-case record arrived');
mirror_identical($A, 'odd', $B, 'A.odd', 'binary key, null header kept byte for byte');
is($f->stop, 0, 'ferryd exits 0 on SIGTERM');
my $log = $f->log;
like($log, qr/stopped cleanly/, 'and says so');
like($log, qr/ ferryd debug: /, 'the log was written at debug level');
for my $s (@secrets)
{
	unlike($log, qr/\Q$s\E/, "ferryd's debug log never contains $s");
}

# --- a wrong SASL password: an authentication error, nothing copied ---
$A->produce('orders', count => $n2, start => $n1);
my $bad = Ferry::Test::Ferryd->new(name => 'badpw',
	config => secure_config(b_password => $wrong_password));
($rc, $out, $err) = $bad->check_config($bad->config_file);
is($rc, 0, '--check-config cannot know the password is wrong');
$bad->start;
my $first = $bad->wait_for_log(qr/ ferryd error: .*authenticat/i, 90);
ok($first, 'a wrong SASL password is logged as an authentication error')
  or diag($bad->log);
# it retries (each failed login is logged again); meanwhile it must neither
# exit nor copy anything
my $again = $first && $bad->wait_for_log(qr/ ferryd error: .*authenticat/i, 90, $first);
ok($again && $bad->wait_for_log(qr/ ferryd error: .*authenticat/i, 90, $again),
	'and retries: two more failed logins');
ok($bad->is_running, 'ferryd keeps running (it retries; the operator fixes credentials)');
is(count_or_zero($B, 'A.orders'), $n1, 'nothing new was copied with the wrong password');
is($bad->stop, 0, 'ferryd with the wrong password exits 0 on SIGTERM');
my $badlog = $bad->log;
for my $s ($wrong_password, @secrets)
{
	unlike($badlog, qr/\Q$s\E/, "its log never contains $s");
}

# --- the right password again: the new records arrive, nothing twice ---
$f->start;
ok(wait_count($B, 'A.orders', $n1 + $n2, 180), 'records produced meanwhile arrive');
$r = $B->seqcheck('A.orders', count => $n1 + $n2, exact => 1);
is($r->{exit}, 0, "A.orders: every record exactly once after a restart: $r->{summary}");
mirror_identical($A, 'orders', $B, 'A.orders', 'A.orders still identical');
is($f->stop, 0, 'second clean stop');
$log = $f->log;
for my $s (@secrets)
{
	unlike($log, qr/\Q$s\E/, "ferryd's log still never contains $s");
}

# --- a JKS truststore is refused, with the keytool command ---
my $jks = tmp_dir('jks') . '/truststore.jks';
{
	open(my $fh, '>:raw', $jks) or die "$jks: $!";
	print $fh "\xfe\xed\xfe\xed\x00\x00\x00\x02\x00\x00\x00\x01" or die "$jks: $!";
	close($fh) or die "$jks: $!";
}
my $jcheck = Ferry::Test::Ferryd->new(name => 'jks');
for my $type ('JKS', 'PKCS12')
{
	my $text = secure_config(a_truststore => $jks, a_truststore_type => $type);
	($rc, $out, $err) = $jcheck->check_config($text);
	is($rc, 78, "JKS truststore (declared $type): --check-config exits 78");
	my ($line) = grep { /ssl\.truststore\.location = \Q$jks\E/ } split /\n/, $text;
	my $lineno = 1 + (() = substr($text, 0, index($text, $line)) =~ /\n/g);
	like($err, qr/\.properties:$lineno: ssl\.truststore\.location: .*JKS.*keytool -importkeystore/,
		"JKS truststore (declared $type): error names file:line, key and keytool")
	  or diag($err);
	for my $s (@secrets)
	{
		unlike($out . $err, qr/\Q$s\E/, "JKS error output never contains $s") if $type eq 'JKS';
	}
}

# a wrong keystore password is found before anything starts
{
	my $text = secure_config() =~ s/^(A\.ssl\.keystore\.password = ).*$/${1}not-keypw/mr;
	($rc, $out, $err) = $jcheck->check_config($text);
	is($rc, 78, 'wrong keystore password: --check-config exits 78');
	like($err, qr/\.properties:\d+: ssl\.keystore\.location: .*wrong ssl\.keystore\.password/,
		'wrong keystore password: error names file:line and key') or diag($err);
	unlike($err, qr/not-keypw/, 'wrong keystore password: not printed');
}

is_deeply([ map { $_->sanitizer_reports } $f, $bad ], [], 'no sanitizer reports');
note(sprintf('070_security ran %.0f s', Time::HiRes::time() - $t0));

done_testing();
