# Ferry::Test::Certs — throw-away TLS key material for the security tests,
# made with the `openssl` command line (Debian package openssl).
#
#   my $c = Ferry::Test::Certs::make_certs(tmp_dir('certs'));
#   $c->{ca}               # ca.pem: the CA certificate (a PEM truststore)
#   $c->{broker_keystore}  # broker-keystore.pem: unencrypted PKCS#8 key,
#                          # then the broker certificate and the CA (Kafka's
#                          # ssl.keystore.type=PEM)
#   $c->{client_pem}       # client.pem: the same layout for the client
#   $c->{trust_p12}        # trust.p12: PKCS#12 holding only the CA
#                          # certificate, password $c->{trust_password}
#   $c->{client_p12}       # client.p12: PKCS#12 with the client key,
#                          # certificate and CA, password $c->{key_password}
#   plus ca_key, broker_key, broker_crt, client_key, client_crt.
#
# The broker certificate names IP:127.0.0.1 and DNS:localhost (the address
# Ferry::Test::Kafka advertises), both signed by the CA; the client
# certificate (CN=ferry) is for mutual TLS.  RSA 2048 keys, valid 7 days.
# OpenSSL 3's default PKCS#12 algorithms (AES-256-CBC, PBKDF2, SHA-256 MAC)
# are readable by Java 17 and by librdkafka/OpenSSL 3.

package Ferry::Test::Certs;

use strict;
use warnings FATAL => 'all';

use Carp;

use Ferry::Test::Utils;

my $CNF = <<'EOF';
[req]
distinguished_name = dn
prompt = no

[dn]
CN = ferry-test

[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

sub _openssl
{
	my (@args) = @_;
	my ($rc, $out, $err) = run_cmd([ 'openssl', @args ], timeout => 60);
	croak "openssl @args: exit $rc\n$out$err" if $rc != 0;
	return $out;
}

sub _write
{
	my ($file, $text) = @_;
	open(my $fh, '>', $file) or croak "cannot write $file: $!";
	print $fh $text or croak "cannot write $file: $!";
	close($fh) or croak "cannot write $file: $!";
	return;
}

# make_certs($dir, trust_password => 'trustpw', key_password => 'keypw')
# -> { name => absolute path, ..., trust_password, key_password }
sub make_certs
{
	my ($dir, %o) = @_;
	croak "make_certs: directory required" unless defined $dir && -d $dir;
	my $tpw = $o{trust_password} // 'trustpw';
	my $kpw = $o{key_password} // 'keypw';
	my %c = map { $_ => "$dir/$_" } qw(openssl.cnf ca.key ca.pem ca.srl);
	_write($c{'openssl.cnf'}, $CNF);

	_openssl('req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes',
		'-config', $c{'openssl.cnf'}, '-extensions', 'ca_ext',
		'-subj', '/CN=ferry test CA', '-days', 7,
		'-keyout', $c{'ca.key'}, '-out', $c{'ca.pem'});

	my %r = (
		ca => $c{'ca.pem'},
		ca_key => $c{'ca.key'},
		trust_password => $tpw,
		key_password => $kpw);
	for my $who ([ 'broker', '/CN=localhost', 'server_ext' ], [ 'client', '/CN=ferry', 'client_ext' ])
	{
		my ($n, $subj, $ext) = @$who;
		my ($key, $csr, $crt) = map { "$dir/$n.$_" } qw(key csr crt);
		_openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes',
			'-config', $c{'openssl.cnf'}, '-subj', $subj,
			'-keyout', $key, '-out', $csr);
		_openssl('x509', '-req', '-in', $csr, '-days', 7,
			'-CA', $c{'ca.pem'}, '-CAkey', $c{'ca.key'},
			'-CAserial', $c{'ca.srl'}, '-CAcreateserial',
			'-extfile', $c{'openssl.cnf'}, '-extensions', $ext,
			'-out', $crt);
		my $keytext = slurp($key);
		croak "$key: not an unencrypted PKCS#8 key"
		  unless $keytext =~ /^-----BEGIN PRIVATE KEY-----$/m;
		# key, then the certificate chain: Kafka's PEM keystore layout
		my $pem = $n eq 'broker' ? 'broker_keystore' : 'client_pem';
		my $file = $n eq 'broker' ? "$dir/broker-keystore.pem" : "$dir/client.pem";
		_write($file, $keytext . slurp($crt) . slurp($c{'ca.pem'}));
		$r{$pem} = $file;
		$r{"${n}_key"} = $key;
		$r{"${n}_crt"} = $crt;
	}

	$r{trust_p12} = "$dir/trust.p12";
	_openssl('pkcs12', '-export', '-nokeys', '-in', $c{'ca.pem'},
		'-out', $r{trust_p12}, '-passout', "pass:$tpw");
	$r{client_p12} = "$dir/client.p12";
	_openssl('pkcs12', '-export', '-in', $r{client_crt}, '-inkey', $r{client_key},
		'-certfile', $c{'ca.pem'}, '-name', 'ferry',
		'-out', $r{client_p12}, '-passout', "pass:$kpw");

	# the broker certificate verifies against the CA, for 127.0.0.1
	_openssl('verify', '-CAfile', $c{'ca.pem'}, '-verify_ip', '127.0.0.1', $r{broker_crt});
	return \%r;
}

1;
