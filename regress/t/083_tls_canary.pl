# 083_tls_canary: the control protocol over TLS, where the client
# certificate is the identity (mapped to a role by its subject, refused
# without one), and the per-flow canary: its latency measured on the
# target, the flow degraded while the target stalls and healthy again after.
use strict;
use warnings FATAL => 'all';

use Test::More;

use Ferry::Test::Certs;
use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my $ferry = build_dir() . '/ferry';
my $certs = Ferry::Test::Certs::make_certs(tmp_dir('certs'));
my ($A, $B) = Ferry::Test::Kafka->start_clusters('A', 'B');
$A->create_topic('orders', 1);

my $tls_port = free_port();
my $f = Ferry::Test::Ferryd->new(
	name => 'tls',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "refresh.topics.interval.seconds = 1\n"
		  . "ferry.control.tls.listen = 127.0.0.1:$tls_port\n"
		  . "ferry.control.tls.cert = $certs->{broker_keystore}\n"
		  . "ferry.control.tls.key = $certs->{broker_keystore}\n"
		  . "ferry.control.tls.ca = $certs->{ca}\n"
		  . "ferry.control.role.operator = cert:CN=ferry;\n"
		  . "A->B.ferry.canary.enabled = true\n"
		  . "ferry.canary.interval.ms = 500\n"
		  . "ferry.canary.threshold.ms = 8000\n"));
$f->start;
ok($f->wait_for_log(qr/control protocol over TLS on 127\.0\.0\.1:$tls_port/, 60), 'TLS listener up');
ok($f->wait_for_log(qr/A->B: running/, 120), 'flow running');

my @tls = ('--tls', "127.0.0.1:$tls_port", '--ca', $certs->{ca});
my ($rc, $out, $err) = run_cmd([ $ferry, @tls, '--cert', $certs->{client_pem}, 'show', 'version' ]);
is($rc, 0, 'a client certificate signed by the CA connects') or diag($err);
like($out, qr/appliance/, 'and runs show version');
($rc, $out, $err) = run_cmd([ $ferry, @tls, '--cert', $certs->{client_pem}, 'pause', 'flow', 'A->B' ]);
is($rc, 0, 'cert:CN=ferry is an operator: pause works') or diag($err);
($rc, $out, $err) = run_cmd([ $ferry, @tls, '--cert', $certs->{client_pem}, 'resume', 'flow', 'A->B' ]);
is($rc, 0, 'resume works');
($rc, $out, $err) = run_cmd([ $ferry, @tls, '--cert', $certs->{client_pem}, 'configure' ]);
is($rc, 1, 'configure needs admin');
like($err, qr/permission denied: `configure` needs the admin role; cert:CN=ferry has operator/,
	'the denial names the certificate subject');
($rc, $out) = run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'audit', '50' ]);
like($out, qr/cert:CN=ferry\s+operator\s+tls\s+configure\s+denied/, 'denial over TLS audited with its origin');
like($out, qr/cert:CN=ferry\s+operator\s+tls\s+pause flow A->B\s+ok/, 'so is the allowed pause');

($rc, $out, $err) = run_cmd([ $ferry, @tls, '--cert', $certs->{broker_keystore}, 'show', 'version' ]);
is($rc, 1, 'a certificate not made for clients is refused');
like($err, qr/TLS handshake failed|ferryd ended the TLS session/, 'at the handshake');
my $other = tmp_dir('other-ca');
($rc, $out, $err) = run_cmd([ 'openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout',
		"$other/key.pem", '-out', "$other/ca.pem", '-subj', '/CN=some other CA', '-days', '1' ]);
is($rc, 0, 'another CA') or diag($err);
($rc, $out, $err) = run_cmd([ $ferry, '--tls', "127.0.0.1:$tls_port", '--cert', $certs->{client_pem},
		'--ca', "$other/ca.pem", 'show', 'version' ]);
is($rc, 1, 'a client that cannot verify ferryd refuses it');
like($err, qr/ferryd's certificate: (self-signed certificate in certificate chain|unable to get local issuer certificate)/, 'saying why');
ok($f->is_running, 'ferryd runs on after the refused handshakes');
# a peer that connects and never says a word is not kept forever
{
	require IO::Socket::INET;
	my $idle = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$tls_port") or die "connect: $!";
	ok($f->wait_for_log(qr/TLS handshake not finished in 10 s; closing the session/, 30),
		'a TLS handshake that never comes is cut after 10 s');
	my $buf;
	is(sysread($idle, $buf, 1), 0, 'the idle peer sees its connection closed');
	my $reaped = () = $f->log =~ /TLS handshake not finished in 10 s/g;
	is($reaped, 1, 'only that peer was cut: no session younger than 10 s ever was');
}

# --- canary ---
ok(poll_until(sub {
			my (undef, $m) = run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'metrics' ]);
			$m =~ /^canary-latency-ms\s+flow="A->B".*\s(\d+)$/m;
		}, 60, 'canary latency'), 'the canary latency is measured');
ok(exists $B->topics->{'A.ferry-canary'}, 'the canary topic is mirrored with the flow');
# (the first canaries seen may be a backlog that took long: wait for fresh ones)
ok(poll_until(sub { (run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'flows' ]))[1] =~ /^A->B\s+running/m },
		60, 'healthy'), 'flow healthy');
$B->pause;
ok(poll_until(sub {
			my (undef, $o) = run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'flows' ]);
			$o =~ /^A->B\s+degraded.*canary latency above ferry\.canary\.threshold\.ms/m;
		}, 60, 'degraded'), 'the flow is degraded while the target stalls');
like(slurp($f->log_file), qr/flow A->B degraded: canary/, 'and the log says so');
$B->resume;
ok(poll_until(sub {
			my (undef, $o) = run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'flows' ]);
			$o =~ /^A->B\s+running/m;
		}, 120, 'running again'), 'healthy again once the target answers');
$A->produce('orders', count => 500);
ok(wait_count($B, 'A.orders', 500, 120), 'and records flow');

is($f->stop, 0, 'ferryd exits 0');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
