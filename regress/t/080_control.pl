# 080_control: ferryd's control socket and the `ferry` shell in one-shot
# and script mode, against a real ferryd mirroring between real clusters:
# show commands, `| json`, one-shot with one quoted argument, roles
# (auditor, no role, outside the socket's group) with denials audited,
# pause/resume, configure/commit/rollback taking effect on the data path
# without restarting unaffected flows, revisions, bad clients (non-socket
# path, dead ferryd, a socket or directory the user may not enter, malformed
# and oversized frames), and /metrics parsed
# by a real Prometheus parser agreeing with `show lag`.
use strict;
use warnings FATAL => 'all';

use HTTP::Tiny;
use IO::Socket::UNIX;
use IPC::Run ();
use JSON::PP;
use Socket qw(SOCK_STREAM);
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my $ferry = build_dir() . '/ferry';
my ($A, $B) = Ferry::Test::Kafka->start_clusters('A', 'B');
$A->create_topic('orders', 3);
$A->create_topic('payments', 2);
$B->create_topic('users', 1);
$A->produce('orders', count => 3000);
$A->produce('payments', count => 1000, start => 10000);
$B->produce('users', count => 500, start => 20000);

my $f = Ferry::Test::Ferryd->new(
	name => 'ctl',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => [ 'A->B', 'B->A' ],
		extra => "A->B.topics = orders\n"
		  . "refresh.topics.interval.seconds = 1\n"
		  . "ferry.appliance.name = dr-east\n"
		  . "ferry.control.group = nogroup\n"
		  . "ferry.control.role.auditor = user:nobody\n"
		  . "ferry.canary.enabled = false\n"));
my $file_text = $f->config;
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120) && $f->wait_for_log(qr/B->A: running/, 120),
	'both flows running');
ok(wait_count($B, 'A.orders', 3000, 120), 'orders mirrored');
ok(wait_count($A, 'B.users', 500, 120), 'users mirrored back the other way');
my $sock = $f->socket_path;

sub ferry { return $f->ferry(@_); }

sub ferry_json
{
	my ($rc, $out, $err) = ferry(@_, '|', 'json');
	die "ferry @_: $err" if $rc != 0;
	return decode_json($out);
}

# --- show commands ---
my ($rc, $out, $err) = ferry('show', 'version');
is($rc, 0, 'show version');
like($out, qr/appliance\s+dr-east/, 'appliance name from ferry.appliance.name');
like($out, qr/config revision\s+1/, 'the file runs as revision 1');
($rc, $out) = ferry('show', 'flows');
like($out, qr/^A->B\s+running\s/m, 'show flows: A->B running');
like($out, qr/^B->A\s+running\s/m, 'show flows: B->A running');
($rc, $out) = ferry('sh', 'cl');
like($out, qr/^A\s+127\.0\.0\.1:\d+\s+A->B\s+B->A\s+reachable\s*$/m, 'keyword prefixes work (sh cl)');
# (heartbeats topics are mirrored too, as MM2 does, whatever the filters)
my $j;
ok(poll_until(sub { $j = ferry_json('show', 'topics'); @{ $j->{result}{rows} } == 4 }, 120, 'show topics'),
	'show topics: the 4 mirrored topics');
is_deeply($j->{result}{columns}, [ 'flow', 'topic', 'remote topic', 'partitions', 'state' ], '| json: columns');
is_deeply([ sort map { "$_->[0] $_->[1] $_->[2] $_->[3]" } @{ $j->{result}{rows} } ],
	[ 'A->B heartbeats A.heartbeats 1', 'A->B orders A.orders 3', 'B->A heartbeats B.heartbeats 1',
	  'B->A users B.users 1' ], '| json: rows');
ok(poll_until(sub {
			my $l = ferry_json('show', 'lag', 'A->B');
			my @r = grep { $_->[1] eq 'orders' } @{ $l->{result}{rows} };
			@r == 3 && !grep { !defined $_->[5] || $_->[5] != 0 } @r;
		}, 60, 'lag 0'), 'show lag A->B: 3 partitions at lag 0');
# positions are saved in batches: lag 0 in memory comes first, the store
# catches up within a flush interval
my @orders;
my $saved = sub { my $s = 0; $s += $_->[3] for @orders; $s };
poll_until(sub {
		@orders = grep { $_->[1] eq 'orders' } @{ ferry_json('show', 'offsets', 'A->B')->{result}{rows} };
		$saved->() == 3000;
	}, 30, 'positions saved');
is(scalar @orders, 3, 'show offsets: a saved position per partition');
is($saved->(), 3000, 'saved positions add up to the records mirrored');
$A->group_commit('billing', 'orders', 0, 42);
# (a slow cluster gets a row saying so: ask again)
ok(poll_until(sub { (ferry('show', 'groups', 'A'))[1] =~ /^A\s+billing\s/m }, 60, 'show groups'),
	'show groups A lists a committed group');
($rc, $out) = ferry('show', 'config');
is($out, $file_text, 'show config is the running file, comments and all');
($rc, $out) = ferry('show', 'metrics');
ok($out =~ /^record-count\s+flow="A->B"\S*\s+(\d+)$/m && $1 >= 3000,
	'show metrics: record-count (orders and heartbeats)');

# --- errors name the word and suggest ---
($rc, $out, $err) = ferry('show', 'flws');
is($rc, 1, 'unknown command: exit 1');
like($err, qr/unknown command at "flws"; did you mean "flows"\?/, 'with a suggestion');
($rc, $out, $err) = ferry('show', 're');
is($rc, 0, '"show re" is unique: revisions');
($rc, $out, $err) = ferry('pause', 'flow', 'X->Y');
like($err, qr/no flow X->Y in the running configuration/, 'unknown flow named');
($rc, $out, $err) = ferry('pause', 'flow', 'nonsense');
like($err, qr/FLOW: expected SOURCE->TARGET, got "nonsense"/, 'malformed flow named');
($rc, $out, $err) = ferry('show', 'audit', 'many');
like($err, qr/COUNT: expected a positive number, got "many"/, 'bad number named');
($rc, $out) = ferry('show', '?');
like($out, qr/flows\s+Replication flows and their state/, 'show ? lists what may follow');

# --- one-shot: one argument is a whole command line (as vtysh -c) ---
($rc, $out, $err) = ferry('show flows');
is($rc, 0, "ferry 'show flows': one quoted argument") or diag($err);
like($out, qr/^A->B\s+running\s/m, 'runs show flows');
($rc, $out, $err) = ferry('show lag A->B | json');
is($rc, 0, "ferry 'show lag A->B | json'") or diag($err);
my $lj = eval { decode_json($out) };
ok($lj && @{ $lj->{result}{rows} } && !grep({ $_->[0] ne 'A->B' } @{ $lj->{result}{rows} }),
	'the pipe and the flow argument are read from the one argument');
($rc, $out, $err) = ferry('show flws');
is($rc, 1, 'a bad one-argument command: exit 1');
like($err, qr/unknown command at "flws"/, 'named as for words');
($rc, $out, $err) = ferry('help show');
like($out, qr/^  show lag \[FLOW\]\s+Per-partition replication lag$/m, "ferry 'help show': each its own line");
unlike($out, qr/^  show \w+.*Show running system information/m, 'not the shared line of show');

# --- roles ---
($rc, $out, $err) = ferry({ as => [ '--reuid=65534', '--regid=65534', '--clear-groups' ] },
	'show', 'flows');
is($rc, 0, 'nobody (auditor) may show flows') or diag($err);
($rc, $out, $err) = ferry({ as => [ '--reuid=65534', '--regid=65534', '--clear-groups' ] },
	'pause', 'flow', 'A->B');
is($rc, 1, 'nobody (auditor) may not pause');
like($err, qr/permission denied: `pause flow FLOW` needs the operator role; nobody \(uid 65534\) has auditor/,
	'the denial says who, what and which role');
($rc, $out, $err) = ferry({ as => [ '--reuid=12345', '--regid=65534', '--clear-groups' ] },
	'show', 'flows');
is($rc, 1, 'a peer without a role may not even look');
like($err, qr/permission denied: .* uid 12345 has no role/, 'and is told so');
# outside ferry.control.group the socket itself refuses: the shell says who may
($rc, $out, $err) = ferry({ as => [ '--reuid=12345', '--regid=12345', '--clear-groups' ] },
	'show', 'flows');
is($rc, 1, 'a user outside ferry.control.group cannot connect');
like($err, qr/\Q$sock\E: permission denied \(mode 0660\); members of group nogroup may connect \(ask an admin to add you: usermod -aG nogroup \$USER/,
	'the error names the socket, its mode and the group that may connect');
$j = ferry_json('show', 'audit', 50);
my @denied = grep { $_->[6] eq 'denied' } @{ $j->{result}{rows} };
ok((grep { $_->[2] eq 'nobody (uid 65534)' && $_->[5] eq 'pause flow A->B' } @denied),
	'the denied pause is in the audit trail');
ok((grep { $_->[2] eq 'uid 12345' && $_->[3] eq 'none' } @denied), 'so is the role-less peer');
ok((grep { $_->[2] eq 'ferryd' && $_->[5] =~ /created topic A\.orders on B/ } @{ ferry_json('show', 'audit', 500)->{result}{rows} }),
	'automatic actions are audited too (topic created)');

# --- pause / resume: on the data path, and across a restart ---
($rc, $out) = ferry('pause', 'flow', 'A->B');
like($out, qr/flow A->B paused/, 'pause flow A->B');
$A->produce('orders', count => 500, start => 3000);
# B->A runs on in the same ferryd: once a record put on B afterwards is on
# A, A->B had its chance to copy the 500 too
$B->produce('users', count => 1, start => 990000);
ok(poll_until(sub { $A->seqcheck('B.users', count => 1, start => 990000)->{missing} == 0 }, 120,
		'B->A went on'), 'B->A mirrors on meanwhile');
is(count_or_zero($B, 'A.orders'), 3000, 'nothing mirrored while paused');
is($f->stop, 0, 'clean stop while paused');
$f->start;
ok($f->wait_for_log(qr/flow A->B is paused/, 60), 'paused across a restart');
($rc, $out) = ferry('show', 'flows');
like($out, qr/^A->B\s+paused/m, 'show flows says paused');
($rc, $out) = ferry('resume', 'flow', 'A->B');
like($out, qr/flow A->B resumed/, 'resume flow A->B');
ok(wait_count($B, 'A.orders', 3500, 120), 'records produced while paused arrive');
is($B->seqcheck('A.orders', count => 3500, exact => 1)->{exit}, 0, 'exactly once');

# --- configure, commit, rollback (script mode) ---
my $records_ba = ferry_json('show', 'flows')->{result}{rows};
my ($ba) = grep { $_->[0] eq 'B->A' } @$records_ba;
($rc, $out, $err) = ferry({ stdin => "configure\nset A->B.topics orders, payments\nshow | compare\nexit\n" }, '-e');
like($out, qr/^\+ A->B\.topics = orders, payments$/m, 'show | compare shows the change');
like($err, qr/uncommitted changes: `commit` them, or `exit discard`/, 'leaving with uncommitted changes warns');
($rc, $out, $err) = ferry({ stdin => "configure\nset A->B.topics orders, payments\ncommit add payments\nexit\n" }, '-e');
is($rc, 0, 'commit') or diag($err);
like($out, qr/revision 2 applied; started: none; restarted: A->B; stopped: none; unchanged: B->A/,
	'only the changed flow restarted');
ok(wait_count($B, 'A.payments', 1000, 120), 'the committed change takes effect: payments mirrored');
my ($ba2) = grep { $_->[0] eq 'B->A' } @{ ferry_json('show', 'flows')->{result}{rows} };
cmp_ok($ba2->[4], '>=', $ba->[4], 'B->A kept running: its record count did not restart');
($rc, $out, $err) = ferry({ stdin => "configure\nset A->B.topics orders, [bad\ncommit\nexit discard\n" }, '-e');
like($err, qr/commit refused: the candidate has 1 error; nothing changed\n\s+candidate:\d+: A->B\.topics: invalid regular expression/,
	'an invalid candidate is refused with file:line and key');
is((ferry('show', 'version'))[0], 0, 'ferryd still answers');
($rc, $out) = ferry('show', 'revisions');
like($out, qr/^2\s+\*\s+\S+\s+root \(uid 0\)\s+add payments$/m, 'revision 2 runs, with who and comment');
unlike($out, qr/^3/m, 'the refused commit made no revision');
($rc, $out, $err) = ferry({ stdin => "configure\ncommit nothing\nset A->B.topics orders, payments\ncommit same\nexit\n" }, '-e');
is($rc, 0, 'a commit without changes succeeds') or diag($err);
like($out, qr/commit nothing\ncommit: no changes; revision 2 stays\n/, 'and says no changes');
like($out, qr/commit same\ncommit: no changes; revision 2 stays\n/, 'also when set gives a key its running value');
unlike($err, qr/uncommitted/, 'and leaves nothing to commit');
($rc, $out) = ferry('show', 'revisions');
unlike($out, qr/^3/m, 'no new revision');
my @noop = grep { $_->[5] =~ /^commit (nothing|same)$/ } @{ ferry_json('show', 'audit', 20)->{result}{rows} };
is(scalar @noop, 2, 'both no-op commits are audited');
ok(!grep({ $_->[7] !~ /^commit: no changes; revision 2 stays$/ } @noop),
	'as no changes, none claiming an applied revision');
($rc, $out, $err) = ferry({ stdin => "configure\nrollback 1\nshow | compare\ncommit back to the file\nexit\n" }, '-e');
like($out, qr/^- A->B\.topics = orders, payments\n\+ A->B\.topics = orders$/m, 'rollback 1 loads revision 1');
like($out, qr/revision 3 applied/, 'and commit applies it as revision 3');
($rc, $out, $err) = ferry({ stdin => "configure\nrollback 99\nexit\n" }, '-e');
like($err, qr/no revision 99/, 'an unknown revision is named');
($rc, $out, $err) = ferry({ stdin => "configure\ndelete no.such.key\nexit\n" }, '-e');
like($err, qr/no\.such\.key is not set in the candidate/, 'deleting an unset key is named');

# two configure sessions: the first changes nothing while the second
# commits; the first one's commit must not undo the second's
{
	my ($in1, $out1, $err1) = ("configure\nshow | compare\n", '', '');
	my $h1 = IPC::Run::start([ $ferry, '-e', '-s', $sock ], '<', \$in1, '>', \$out1, '2>', \$err1);
	ok(poll_until(sub { $h1->pump_nb; "$out1$err1" =~ /no changes/ }, 30, 'session 1 in configure mode'),
		'session 1 made its candidate from revision 3');
	($rc, $out, $err) = ferry({ stdin => "configure\nset A->B.emit.checkpoints.interval.seconds 30\n"
		  . "commit by two\nexit\n" }, '-e');
	like($out, qr/revision 4 applied/, 'session 2 commits revision 4') or diag($err);
	$in1 .= "commit stale\nexit\n";
	$h1->finish;
	like($out1, qr/commit: no changes to revision 3, which this candidate was made from; revision 4, committed meanwhile, stays/,
		'session 1 commits nothing: no changes of its own') or diag($err1);
	($rc, $out) = ferry('show', 'revisions');
	unlike($out, qr/^5/m, 'no revision 5 undoing revision 4');
	($rc, $out) = ferry('show', 'config');
	like($out, qr/^A->B\.emit\.checkpoints\.interval\.seconds = 30$/m, 'revision 4 still runs');
}

# a restart with the unchanged file runs the latest revision
is($f->stop, 0, 'clean stop');
$f->start;
ok($f->wait_for_log(qr/running configuration revision 4/, 60), 'restart runs revision 4');
ok($f->wait_control, 'and serves its control socket');
# the exported configuration starts a fresh ferryd as revision 1
($rc, $out) = ferry('show', 'config');
# the export names this ferryd's socket and metrics port: the second one
# takes its own (a second ferryd on a live socket is refused, see below)
my $export = $out;
$out =~ s/^ferry\.(control\.socket|metrics\.listen) = .*\n//mg;
my $g = Ferry::Test::Ferryd->new(name => 'exported', config => $out);
($rc, my $cout, $err) = $g->check_config($g->config_file);
is($rc, 0, 'the export is a valid MM2 file') or diag($err);
$g->start;
ok($g->wait_for_log(qr/running configuration revision 1 \(loaded from/, 60), 'and starts as revision 1');
ok($g->wait_control, 'serving its control socket');
my ($grc, $gout) = run_cmd([ $ferry, '-s', $g->socket_path, 'show', 'revisions' ]);
like($gout, qr/^1\s+\*/m, 'show revisions there: 1, running');
is($g->stop, 0, 'exported ferryd stops cleanly');
my $h = Ferry::Test::Ferryd->new(name => 'thief', config => $export =~ s/^ferry\.metrics\.listen = .*\n//mr);
$h->start;
is($h->wait_exit(timeout => 60), 69, 'a second ferryd on a live control socket does not start (exit 69)');
like($h->log, qr/control socket: \Q$sock\E: another ferryd listens there.*; nothing started/,
	'and does not steal it: it says whose it is');
ok(-S $sock, 'the first one keeps its socket');

# --- bad clients: clear errors, ferryd keeps running ---
my $plain = $f->dir . '/not-a-socket';
open(my $fh, '>', $plain) or die $!;
close $fh;
($rc, $out, $err) = run_cmd([ $ferry, '-s', $plain, 'show', 'flows' ]);
is($rc, 1, 'a non-socket path: exit 1');
like($err, qr/not a socket; refusing to use it/, 'says so');
($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->dir . '/nothing.sock', 'show', 'flows' ]);
like($err, qr/no such socket: is ferryd running\?/, 'a missing socket: is ferryd running?');
{
	# a socket left behind by a ferryd that is gone; one only root may use;
	# one in a directory only a group may enter
	my $dead = $f->dir . '/dead.sock';
	IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $dead, Listen => 1) or die "$dead: $!";
	($rc, $out, $err) = run_cmd([ $ferry, '-s', $dead, 'show flows' ]);
	like($err, qr/\Q$dead\E: nobody listens: ferryd is not running .*-s or FERRY_SOCKET/,
		'a socket nobody listens on: ferryd is not running, and -s');
	my $dir = $f->dir . '/private';
	mkdir $dir or die "$dir: $!";
	my $ls = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => "$dir/c.sock", Listen => 1)
	  or die "$dir/c.sock: $!";
	chmod 0600, "$dir/c.sock";
	my @stranger = ('setpriv', '--reuid=12345', '--regid=12345', '--clear-groups', '--');
	($rc, $out, $err) = run_cmd([ @stranger, $ferry, '-s', "$dir/c.sock", 'show flows' ]);
	like($err, qr/c\.sock: permission denied \(mode 0600\); only root may connect \(ferry\.control\.group/,
		'a socket only its owner may use says so');
	chmod 0660, "$dir/c.sock";
	chown 0, 65534, $dir;
	chmod 0750, $dir;
	($rc, $out, $err) = run_cmd([ @stranger, $ferry, '-s', "$dir/c.sock", 'show flows' ]);
	like($err, qr/c\.sock: permission denied on \Q$dir\E \(mode 0750\); members of group nogroup may connect/,
		'a directory that keeps the user out names its group');
	close $ls;
}

sub raw
{
	my ($bytes) = @_;
	my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $sock) or die "connect: $!";
	print $s $bytes;
	$s->shutdown(1);
	local $/;
	my $resp = <$s> // '';
	my @frames;
	while (length($resp) >= 4)
	{
		my $n = unpack('N', $resp);
		push @frames, decode_json(substr($resp, 4, $n));
		$resp = substr($resp, 4 + $n);
	}
	return \@frames;
}
my $hello = encode_json({ type => 'hello', version => 1, id => 1 });
my $fr = raw(pack('N', length $hello) . $hello . pack('N', 9) . '{"type":}');
is($fr->[0]{type}, 'hello', 'raw client: hello answered');
is($fr->[1]{error}{code}, 'malformed', 'a malformed frame gets an error');
like($fr->[1]{error}{message}, qr/not JSON/, 'saying what is wrong');
$fr = raw(pack('N', 5_000_000) . 'x' x 100);
is($fr->[0]{error}{code}, 'too_large', 'an oversized frame gets an error');
like($fr->[0]{error}{message}, qr/frame of 5000000 bytes refused: frames are 1 to 1048576 bytes/, 'naming the limit');
my $v2 = encode_json({ type => 'hello', version => 2, id => 1 });
$fr = raw(pack('N', length $v2) . $v2);
like($fr->[0]{error}{message}, qr/protocol version 2 is not supported; ferryd speaks version 1/, 'a wrong version is named');
my $req = encode_json({ type => 'request', id => 2, argv => ['show', 'flows'] });
$fr = raw(pack('N', length $req) . $req);
like($fr->[0]{error}{message}, qr/send a hello first/, 'a request before hello is refused');
# error codes, for automation: pipelined requests answered in order
my @reqs = map { encode_json({ type => 'request', id => $_->[0], argv => $_->[1] }) }
  [ 2, [qw(pause flow X->Y)] ], [ 3, [qw(failback X->Y)] ], [ 4, [qw(failover A->B --groups [)] ],
  [ 5, [qw(show flows)] ];
$fr = raw(join('', map { pack('N', length $_) . $_ } $hello, @reqs));
is_deeply([ map { $_->{id} } @$fr ], [ 1 .. 5 ], 'pipelined requests answered in order');
is($fr->[1]{error}{code}, 'not_found', 'pause of an unknown flow: not_found');
like($fr->[1]{error}{message}, qr/no flow X->Y in the running configuration/, 'naming it');
is($fr->[2]{error}{code}, 'not_found', 'failback between unknown clusters: not_found');
like($fr->[2]{error}{message}, qr/no clusters X and Y in the running configuration/, 'naming them');
is($fr->[3]{error}{code}, 'invalid', 'a bad regex: invalid');
ok($fr->[4]{ok}, 'and the next request is answered as usual');
ok($f->is_running, 'ferryd survived every bad client');
($rc, $out) = ferry('show', 'version');
is($rc, 0, 'and still answers');

# --- /metrics: a real Prometheus parser, and the same lag as the shell ---
# (after the restart above: wait until every partition reported, caught up)
ok(poll_until(sub {
			my @r = grep { $_->[1] !~ /heartbeats/ } @{ ferry_json('show', 'lag')->{result}{rows} };
			@r == 4 && !grep { !defined $_->[5] || $_->[5] != 0 } @r;
		}, 60, '4 partitions at lag 0'), 'orders (3) and users (1) caught up');
my $resp = HTTP::Tiny->new(timeout => 10)->get($f->metrics_url);
is($resp->{status}, 200, 'GET /metrics');
like($resp->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4}, 'Prometheus content type');
my $mfile = $f->dir . '/metrics.txt';
open($fh, '>', $mfile) or die $!;
print $fh $resp->{content};
close $fh;
my $py = <<'PY';
import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        if s.name == 'ferry_partition_lag':
            out["%s %s %s" % (s.labels['flow'], s.labels['topic'], s.labels['partition'])] = s.value
print(json.dumps(out))
PY
($rc, $out, $err) = run_cmd([ '/usr/bin/python3', '-c', $py, $mfile ]);
is($rc, 0, 'python3-prometheus-client parses /metrics') or diag($err);
my $prom = decode_json($out || '{}');
# heartbeats move all the time: compare the data partitions, at rest
delete $prom->{$_} for grep { /heartbeats/ } keys %$prom;
my %shell = map { ("$_->[0] $_->[1] $_->[2]" => $_->[5]) }
  grep { $_->[1] !~ /heartbeats/ } @{ ferry_json('show', 'lag')->{result}{rows} };
is(scalar(keys %shell), 4, 'show lag lists every partition');
is_deeply($prom, \%shell, 'lag in /metrics equals lag in the shell');
is(HTTP::Tiny->new->get($f->metrics_url =~ s{/metrics$}{/nope}r)->{status}, 404, "other paths: 404");

is($f->stop, 0, 'ferryd exits 0 on SIGTERM');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
