# 085_offloop: commands that wait for Kafka (show groups, group
# completion, reset-offsets, failover, failback) do not hold ferryd's main loop.
# With cluster A's broker stopped (SIGSTOP), each is sent on one session;
# while it waits, GET /metrics and `show flows` on a second session are
# answered, and only then is the first session's answer checked to be
# still missing (ordering, not a clock). After SIGCONT the waiting command
# answers, with its result or an error naming the cluster. A session's own
# later requests queue behind its waiting one; a session that leaves while
# its command waits is audited as cancelled and harms nothing; SIGTERM
# while a command waits ends ferryd cleanly.
use strict;
use warnings FATAL => 'all';

use HTTP::Tiny;
use IO::Select;
use IO::Socket::UNIX;
use JSON::PP;
use Socket qw(SOCK_STREAM);
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my ($A, $B) = Ferry::Test::Kafka->start_clusters('A', 'B');
$A->create_topic('orders', 2);
$A->produce('orders', count => 200);

# nothing but the flow's own consumer talks to A in the background: no
# heartbeats, checkpoints or canary, and no discovery round after the first
my $f = Ferry::Test::Ferryd->new(
	name => 'off',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "A->B.topics = orders\n"
		  . "refresh.topics.interval.seconds = 3600\n"
		  . "emit.heartbeats.enabled = false\n"
		  . "emit.checkpoints.enabled = false\n"
		  . "ferry.canary.enabled = false\n"));
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'A->B running');
ok(wait_count($B, 'A.orders', 200, 120), 'orders mirrored');
$A->group_commit('billing', 'orders', 0, 42);

sub ferry { return $f->ferry(@_); }
ok(poll_until(sub { (ferry('show', 'groups', 'A'))[1] =~ /^A\s+billing\s/m }, 60, 'show groups'),
	'show groups A lists billing while A runs');

# --- a raw protocol client: frames are u32 length + JSON ---
my $next_id = 1;

sub session
{
	my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $f->socket_path)
	  or die "connect: $!";
	my $self = { sock => $s, buf => '' };
	send_msg($self, { type => 'hello', version => 1 });
	my $h = read_msg($self);
	die 'no hello' unless $h && $h->{type} eq 'hello';
	return $self;
}

sub send_msg
{
	my ($self, $msg) = @_;
	$msg->{id} //= $next_id++;
	my $j = encode_json($msg);
	print { $self->{sock} } pack('N', length $j) . $j;
	$self->{sock}->flush;
	return $msg->{id};
}

sub request { return send_msg($_[0], { type => 'request', argv => $_[1] }); }

sub _frame
{
	my ($self) = @_;
	return undef if length($self->{buf}) < 4;
	my $n = unpack('N', $self->{buf});
	return undef if length($self->{buf}) < 4 + $n;
	my $msg = decode_json(substr($self->{buf}, 4, $n));
	$self->{buf} = substr($self->{buf}, 4 + $n);
	return $msg;
}

# read_msg(SESSION, TIMEOUT = 120): the next answer, or undef (end of
# stream, or nothing within TIMEOUT: a bound for a broken ferryd only).
sub read_msg
{
	my ($self, $timeout) = @_;
	my $sel = IO::Select->new($self->{sock});
	my $deadline = time + ($timeout // 120);
	while (1)
	{
		my $m = _frame($self);
		return $m if $m;
		my $left = $deadline - time;
		return undef if $left <= 0 || !$sel->can_read($left);
		my $got = sysread($self->{sock}, my $chunk, 65536);
		return undef unless $got;
		$self->{buf} .= $chunk;
	}
}

# Whether an answer (or the end of the stream) is there right now.
sub answered
{
	my ($self) = @_;
	return 1 if length $self->{buf};
	return IO::Select->new($self->{sock})->can_read(0) ? 1 : 0;
}

# Stops A's broker and waits until the kernel says every thread of it is
# stopped.
sub stop_A
{
	$A->pause;
	my $pid = $A->pid;
	my $stopped = sub {
		my @st = map { (split ' ', (eval { slurp($_) } // ') T') =~ s/^.*\)//sr)[0] }
		  glob("/proc/$pid/task/*/stat");
		return @st && !grep { $_ ne 'T' } @st;
	};
	poll_until($stopped, 60, 'every thread of broker A stopped')
	  or BAIL_OUT('SIGSTOP did not stop broker A');
}

my $s1 = session();
my $s2 = session();
my $http = HTTP::Tiny->new(timeout => 120);

# Sends MSG on s1 with A stopped, checks that /metrics and another session
# are served meanwhile, then resumes A and returns s1's answer.
sub while_blocked
{
	my ($what, $msg, $logged, $extra) = @_;
	my $pos = $f->log_position;
	stop_A();
	my $id = send_msg($s1, $msg);
	ok($f->wait_for_log($logged, 60, $pos), "$what: ferryd took the request and waits for Kafka");
	$extra->() if $extra;
	my $resp = $http->get($f->metrics_url);
	is($resp->{status}, 200, "$what: GET /metrics answered meanwhile");
	like($resp->{content}, qr/^ferry_flow_state\{flow="A->B"/m, "$what: with the flow's metrics");
	my $sid = request($s2, [ 'show', 'flows' ]);
	my $r2 = read_msg($s2);
	ok($r2 && $r2->{id} == $sid && $r2->{ok}, "$what: show flows on another session answered meanwhile");
	ok(!answered($s1), "$what: ...before the waiting command answered");
	$A->resume;
	my $r1 = read_msg($s1);
	ok($r1 && $r1->{id} == $id, "$what: answers once A runs again");
	note("$what: " . encode_json($r1 // {}));
	return $r1;
}

# show groups, with a request queued behind it on the same session
my $queued;
my $r = while_blocked('show groups A', { type => 'request', argv => [qw(show groups A)] },
	qr/`show groups A` answers later/, sub { $queued = request($s1, [ 'show', 'version' ]) });
ok($r->{ok}, 'show groups A: ok');
my @rows = @{ $r->{result}{rows} // [] };
ok((grep { $_->[1] eq 'billing' } @rows) || (grep { $_->[0] eq 'A' && $_->[2] =~ /\S/ } @rows),
	'show groups A: lists billing, or a row saying why A could not be listed')
  or diag(explain(\@rows));
my $rq = read_msg($s1);
ok($rq && $rq->{id} == $queued && $rq->{ok}, 'the request queued behind it is answered next');

# group completion (a names lookup)
$r = while_blocked('group completion',
	{ type => 'names', kind => 'group', words => [qw(reset-offsets A --group)] },
	qr/`\(names\)` answers later/);
ok($r->{ok} && ref $r->{names} eq 'ARRAY', 'group completion: a list of names');

# reset-offsets
$r = while_blocked('reset-offsets',
	{ type => 'request', argv => [qw(reset-offsets A --group billing --to-datetime 2020-01-01T00:00:00Z)] },
	qr/`reset-offsets A --group billing --to-datetime \S+` answers later/);
ok($r->{ok} ? $r->{message} =~ /group billing on A reset to/ : $r->{error}{message} =~ /\S/,
	'reset-offsets: done, or a clear error') or diag(explain($r));
my $reset_ok = $r->{ok};

# failover
$r = while_blocked('failover', { type => 'request', argv => [ 'failover', 'A->B', '--groups', 'billing' ] },
	qr/`failover A->B --groups billing` answers later/);
ok($r->{ok} ? $r->{message} =~ /failover A->B: \d+ groups? committed on B/
	: $r->{error}{message} =~ /\bA\b/, 'failover: done, or an error naming the cluster')
  or diag(explain($r));

# every answer made it into the audit trail
my ($rc, $out) = ferry('show', 'audit', '50');
like($out, qr/reset-offsets A --group billing/, 'reset-offsets audited');
if ($reset_ok)
{
	like($out, qr/reset-offsets of group billing on A to 2020-01-01T00:00:00Z by .+: 1 partition\b/,
		'a reset is also a system entry (for a session that left)');
}
else
{
	pass('the reset failed: no system entry to look for');
}
like($out, qr/failover A->B --groups billing/, 'failover audited');

# a session that leaves while its command waits
my $pos = $f->log_position;
stop_A();
{
	my $s3 = session();
	request($s3, [qw(show groups A)]);
	ok($f->wait_for_log(qr/`show groups A` answers later/, 60, $pos), 'a third session waits');
	close($s3->{sock});
}
ok($f->wait_for_log(qr/left while `show groups A` was waiting; cancelled/, 60, $pos),
	'its leaving cancels the wait');
my $sid = request($s2, [ 'show', 'flows' ]);
$r = read_msg($s2);
ok($r && $r->{id} == $sid && $r->{ok}, 'the other session is still served');
$A->resume;
ok(poll_until(sub { (ferry('show', 'groups', 'A'))[1] =~ /^A\s+billing\s/m }, 60, 'show groups'),
	'show groups A answers again once A runs');
($rc, $out) = ferry('show', 'audit', '50');
like($out, qr/cancelled: the session ended before the answer was ready/, 'audited as cancelled');

# SIGTERM while a command waits for a stopped broker
$pos = $f->log_position;
stop_A();
my $s4 = session();
request($s4, [ 'failover', 'A->B', '--groups', 'billing' ]);
ok($f->wait_for_log(qr/`failover A->B --groups billing` answers later/, 60, $pos),
	'a failover waits for the stopped broker');
is($f->stop, 0, 'SIGTERM meanwhile: ferryd exits 0');
like(substr($f->log, $pos), qr/ferryd stopped cleanly/, 'and says it stopped cleanly');
$A->resume;

# failback: it reads A's end offsets (the failback's target) before the
# failback starts, so it waits for the stopped broker too. Last, and after a
# restart: the failback flow it starts writes to A, and A->B stays paused.
$pos = $f->log_position;
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120, $pos), 'A->B running again after a restart');
$s1 = session();
$s2 = session();
$r = while_blocked('failback', { type => 'request', argv => [ 'failback', 'A->B' ] },
	qr/`failback A->B` answers later/);
ok($r->{ok}, 'failback: started once A runs again') or diag(explain($r));
like($r->{message} // '', qr/^failback of A->B runs as flow failback:A->B \(A->B paused\)\. 0 records on A were never mirrored to B/,
	'failback: nothing only on A (all 200 were mirrored)');
my @fb = @{ $r->{result}{rows} // [] };
is(scalar @fb, 2, 'failback: a row per partition of orders') or diag(explain(\@fb));
for my $row (@fb)
{
	if (defined $row->[3])
	{
		is($row->[3], $row->[2], "failback: orders[$row->[1]] end offset read before the start = mirrored up to");
	}
	else
	{
		like($r->{message}, qr/end offset of \d+ partitions? on A could not be read/,
			"failback: orders[$row->[1]] end offset unknown, and the message says so");
	}
}
is(eval { $fb[0][2] + $fb[1][2] } // -1, 200, 'failback: 200 mirrored in all');
ok(poll_until(sub { (ferry('show', 'flows'))[1] =~ /^failback:A->B\s+running/m }, 60, 'failback flow'),
	'the failback flow runs');
like((ferry('show', 'flows'))[1], qr/^A->B\s+paused/m, 'and A->B is paused');
($rc, $out) = ferry('show', 'audit', '50');
like($out, qr/failback of A->B started by/, 'failback audited');
is($f->stop, 0, 'ferryd stops');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
