# 086_startup_safety: a ferryd that would do harm or could not be managed
# does not start. A second ferryd on a state directory in use is refused
# (exit 75) naming the directory and the pid that holds it, writes nothing
# there, and the first one mirrors on without a duplicate; the lock goes
# with its holder, also when that one is killed. A control socket or TLS
# listener that cannot be set up stops ferryd at start (exit 69) with the
# reason, no flow started, unless ferry.control.socket = off; a
# ferry.control.group that names no group is a configuration error, which
# --check-config reports too.
use strict;
use warnings FATAL => 'all';

use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my ($A, $B) = Ferry::Test::Kafka->start_clusters('A', 'B');
$A->create_topic('orders', 2);
$A->produce('orders', count => 1000, start => 0);

my $config = mm2_config(clusters => { A => $A, B => $B }, flows => ['A->B'],
	extra => "A->B.topics = orders\n");

my $f = Ferry::Test::Ferryd->new(name => 'first', config => $config);
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'the first ferryd runs A->B');
ok(wait_count($B, 'A.orders', 1000, 120), 'and mirrors orders');
my $state = $f->state_dir;

# --- a second ferryd on the same state directory ---
# (its own control socket and metrics port: only the directory is shared)
my $g = Ferry::Test::Ferryd->new(name => 'second', config => $config);
my $revs_before = ferry_rows($f, 'show', 'revisions');
cmp_ok($revs_before, '>=', 1, 'the first ferryd has its revision');
$g->start(state_dir => $state);
is($g->wait_exit(timeout => 60), 75, 'a second ferryd on the same state directory exits 75 (EX_TEMPFAIL)');
my $fpid = $f->pid;
like($g->log, qr/error: state directory \Q$state\E is in use by another ferryd \(pid $fpid holds \Q$state\E\/ferry\.lock\); nothing started/,
	'naming the directory and the pid that holds it');
unlike($g->log, qr/running configuration revision|control socket \S+ ready/,
	'it opened neither the state store nor a control socket');
ok(!-e $g->socket_path, 'no control socket left behind');
is(ferry_rows($f, 'show', 'revisions'), $revs_before, 'no revision added to the first one\'s history');
my ($rc, $out, $err) = $f->check_config($f->config_file);
is($rc, 0, '--check-config works while the directory is locked') or diag($err);

$A->produce('orders', count => 1000, start => 1000);
ok(wait_count($B, 'A.orders', 2000, 120), 'the first ferryd mirrors on');
my $r = $B->seqcheck('A.orders', count => 2000, exact => 1);
is($r->{exit}, 0, 'every record once: nobody else wrote to the target') or diag($r->{output});
like($f->log, qr/A->B: running/, 'the first ferryd still runs');
ok($f->is_running, 'and has not exited');

# --- the lock goes with its holder ---
is($f->stop, 0, 'the first ferryd stops cleanly');
$g->start(state_dir => $state);
ok($g->wait_for_log(qr/A->B: running/, 120), 'a new ferryd starts on that directory once it is free');
is(slurp("$state/ferry.lock"), $g->pid . "\n", 'and writes its pid into the lock file');
is($g->kill9, 137, 'killed with SIGKILL');
my $pos = $f->log_position;
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120, $pos),
	'a lock file left by a killed ferryd blocks nobody');

# --- control socket set-up failures: exit 69, the reason, no flow started ---
my $dir = $f->dir;
my $plain = "$dir/not-a-socket";
open(my $fh, '>', $plain) or die $!;
close $fh;
my @bad = (
	[ 'the path of a running ferryd', $f->socket_path,
	  qr/control socket: \Q${\$f->socket_path}\E: another ferryd listens there/ ],
	[ 'an existing non-socket', $plain,
	  qr/control socket: \Q$plain\E exists and is not a socket; refusing to replace it/ ],
	[ 'a directory that cannot be created', '/proc/ferry-086/control.sock',
	  qr{control socket: cannot create /proc/ferry-086: No such file or directory} ],
	[ 'a directory that cannot be written', '/sys/ferry-086.sock',
	  qr{control socket: /sys/ferry-086\.sock: cannot bind: } ],
);
my $n = 0;
my @others;    # every other ferryd, for the sanitizer check at the end
for my $c (@bad)
{
	my ($name, $path, $re) = @$c;
	my $h = Ferry::Test::Ferryd->new(name => 'bad' . ++$n,
		config => $config . "ferry.control.socket = $path\n");
	$h->start;
	push @others, $h;
	is($h->wait_exit(timeout => 60), 69, "$name: exit 69 (EX_UNAVAILABLE)");
	like($h->log, qr/$re.*; nothing started \(ferry\.control\.socket = off runs without one\)/,
		"$name: says why and that nothing started");
	unlike($h->log, qr/ferryd \S+ started|A->B: (starting|running)/, "$name: no flow started");
}
ok(-S $f->socket_path, 'the running ferryd keeps its socket');
ok(-f $plain && !-S $plain, 'the non-socket file is left as it was');

# a TLS listener that cannot be set up is as fatal
{
	my $h = Ferry::Test::Ferryd->new(name => 'badtls',
		config => $config . "ferry.control.tls.listen = 127.0.0.1:" . free_port() . "\n"
		  . "ferry.control.tls.cert = $dir/no-cert.pem\nferry.control.tls.key = $dir/no-key.pem\n"
		  . "ferry.control.tls.ca = $dir/no-ca.pem\n");
	$h->start;
	push @others, $h;
	is($h->wait_exit(timeout => 60), 69, 'an unusable TLS listener: exit 69');
	like($h->log, qr/control socket: ferry\.control\.tls\.cert.*no-cert\.pem.*; nothing started/,
		'names the key and the file');
	ok(!-e $h->socket_path, 'and removes the UNIX socket it had made');
	unlike($h->log, qr/A->B: (starting|running)/, 'no flow started');
}

# too long a path and an unknown group are configuration errors (exit 78)
for my $c ([ 'a path too long', 'ferry.control.socket = /tmp/' . ('x' x 120) . '.sock',
	     qr/ferry\.control\.socket: expected the path of a UNIX socket \(at most 107 bytes\) or off/ ],
	   [ 'a group that does not exist', 'ferry.control.group = no-such-group-086',
	     qr/ferry\.control\.group: no such group "no-such-group-086"/ ])
{
	my ($name, $line, $re) = @$c;
	my $h = Ferry::Test::Ferryd->new(name => 'cfg' . ++$n, config => $config . "$line\n");
	($rc, $out, $err) = $h->check_config($h->config_file);
	is($rc, 78, "$name: --check-config exits 78");
	like($err, qr/\Q${\$h->config_file}\E:\d+: $re/, "$name: --check-config names file:line and key");
	$h->start;
	push @others, $h;
	is($h->wait_exit(timeout => 60), 78, "$name: ferryd exits 78");
	like($h->log, qr/$re.*\n.*nothing started/s, "$name: and says so");
	ok(!-e $h->state_dir . '/ferry.db', "$name: no state store created");
}

# a group with many members (an LDAP group of a whole department) is a
# group: more than getgrnam_r's usual buffer must not read as "no such
# group", now that a socket that cannot be set up stops ferryd. Seen
# through a private mount namespace, so nothing changes for the host.
SKIP: {
	skip 'needs root and unshare -m', 5
	  unless $> == 0 && system('unshare -m true 2>/dev/null') == 0;
	my $gid = 40860;
	$gid++ while getgrgid($gid);
	my $gf = "$dir/group";
	open(my $g_in, '<', '/etc/group') or die $!;
	open(my $g_out, '>', $gf) or die $!;
	print $g_out $_ while <$g_in>;
	print $g_out "big-086:x:$gid:" . join(',', map { sprintf('member-of-a-large-group-%05d', $_) } 1 .. 2000) . "\n";
	close $g_out or die $!;
	my $h = Ferry::Test::Ferryd->new(name => 'biggroup',
		config => $config . "ferry.control.group = big-086\n"
		  . "ferry.control.role.operator = group:big-086\n");
	$h->start(wrap => [ 'unshare', '-m', 'sh', '-c', 'mount --bind "$0" /etc/group && exec "$@"', $gf ]);
	push @others, $h;
	ok($h->wait_control(60), 'a group with 2000 members: the control socket is set up')
	  or diag($h->log);
	ok(-S $h->socket_path, 'the socket is there');
	is((stat($h->socket_path))[5], $gid, 'and belongs to that group');
	unlike($h->log, qr/no such group/, 'the group is one, for the operator role too');
	is($h->stop, 0, 'it stops cleanly');
}

# --- ferry.control.socket = off: runs without one ---
{
	# (a topic nobody writes: the running ferryd mirrors orders)
	my $h = Ferry::Test::Ferryd->new(name => 'nosocket',
		config => mm2_config(clusters => { A => $A, B => $B }, flows => ['A->B'],
			extra => "A->B.topics = none-086\nferry.control.socket = off\n"));
	$h->start;
	push @others, $h;
	ok($h->wait_for_log(qr/control socket off \(ferry\.control\.socket = off\): no shell, no commands/, 60),
		'ferry.control.socket = off: said at start');
	ok($h->wait_for_log(qr/A->B: running/, 120), 'and the flows run');
	ok(!-e $h->dir . '/off', 'no socket file named "off"');
	is($h->stop, 0, 'it stops cleanly');
	($rc, $out, $err) = $h->check_config($config . "ferry.control.socket = off\n"
		  . "ferry.control.tls.listen = 127.0.0.1:1\nferry.control.tls.cert = c\n"
		  . "ferry.control.tls.key = k\nferry.control.tls.ca = a\n");
	is($rc, 78, 'a TLS listener without the control socket is refused');
	like($err, qr/:\d+: ferry\.control\.tls\.listen: the TLS listener needs the control socket, and ferry\.control\.socket is off/,
		'saying why');
}

is($f->stop, 0, 'the first ferryd stops cleanly');
is_deeply([ map { $_->sanitizer_reports } $f, $g, @others ], [], 'no sanitizer reports');
done_testing();

# rows of a `show` command's table (header excluded)
sub ferry_rows
{
	my ($fd, @cmd) = @_;
	my (undef, $o) = $fd->ferry(@cmd);
	return scalar(() = $o =~ /^\d+\s/mg);
}
