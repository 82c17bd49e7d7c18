# 081_shell_pty: the interactive `ferry` shell driven through a
# pseudo-terminal, as an operator types: tab completion of commands and of
# live flow and consumer-group names, `?` help, the prompt following the mode, history kept
# across runs, and configure -> set -> show | compare -> commit -> rollback
# with a real ferryd mirroring between real Kafka clusters, the committed
# change taking effect on the data path; ^C at the prompt and in the
# pager dropping what it interrupts, not the shell; ^D as `exit` in
# configure mode; Tab after `set A->B.` offering every per-flow key.
use strict;
use warnings FATAL => 'all';

use IPC::Run ();
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my $ferry = build_dir() . '/ferry';
my ($A, $B) = Ferry::Test::Kafka->start_clusters('A', 'B');
$A->create_topic('orders', 2);
$A->create_topic('refunds', 1);
$A->produce('orders', count => 1000);
$A->produce('refunds', count => 100, start => 5000);

my $f = Ferry::Test::Ferryd->new(
	name => 'pty',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => [ 'A->B', 'B->A' ],
		extra => "A->B.topics = orders\nrefresh.topics.interval.seconds = 1\n"
		  . "ferry.appliance.name = edge7\n"));
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'ferryd running');
ok($f->wait_for_log(qr/B->A: running/, 120), 'both flows');
ok(wait_count($B, 'A.orders', 1000, 120), 'orders mirrored');

my $home = tmp_dir('home');
my ($in, $out) = ('', '');
my $h;

sub start_shell
{
	my ($pager) = @_;
	($in, $out) = ('', '');
	$h = IPC::Run::start([ $ferry, '-s', $f->socket_path ], '<pty<', \$in, '>pty>', \$out,
		init => sub {
			$ENV{TERM} = 'xterm';
			$ENV{HOME} = $home;
			$ENV{FERRY_HISTORY} = "$home/history";
			$ENV{PAGER} = $pager // 'sed s/^/PAGED:/';
			$ENV{LINES} = 12;    # the pty does not tell its size
		});
}

# Waits until the output since MARK matches RE; returns the matched text.
my $mark = 0;
sub expect
{
	my ($re, $what, $timeout) = @_;
	my $deadline = time + ($timeout // 30);
	while (time < $deadline)
	{
		$h->pump_nb;
		my $seen = substr($out, $mark);
		$seen =~ s/\e\[[0-9;?]*[A-Za-z]//g;    # terminal control sequences
		$seen =~ s/\r//g;
		if ($seen =~ $re)
		{
			$mark = length $out;
			return pass($what);
		}
		select(undef, undef, undef, 0.05);
	}
	my $seen = substr($out, $mark);
	$seen =~ s/\e\[[0-9;?]*[A-Za-z]//g;
	fail($what);
	diag("waited for $re; got:\n$seen");
	$mark = length $out;
	return 0;
}

sub type { $in .= $_[0]; $h->pump_nb; }

start_shell();
expect(qr/connected to edge7 .*role admin\).*\nedge7> $/s, 'banner, then the prompt names the appliance');

# tab completion of keywords
type("sh\t");
expect(qr/show $/, 'Tab completes "sh" to "show "');
type("fl\t");
expect(qr/flows $/, 'Tab completes "fl" to "flows "');
type("\n");
expect(qr/A->B\s+running.*B->A\s+running.*edge7> $/s, 'show flows runs');

# ? help anywhere on the line, without Enter
type("?");
expect(qr/show\s+Show running system information.*configure\s+Edit a candidate configuration.*edge7> $/s,
	'? at the start lists the commands with their help');
type("show ?");
expect(qr/lag\s+Per-partition replication lag.*revisions\s+Committed configuration revisions/s,
	'"show ?" lists what may follow show');
type("\x15");    # ^U: kill the line

# completion of live names from ferryd
type("pause flow \t");
expect(qr/A->B\s+B->A/, 'Tab after "pause flow" lists the flows ferryd runs');
type("A\t");
expect(qr/->B $/, 'and completes a unique one');
type("\x15");

# consumer groups: asked of the cluster the line names
$A->group_commit('billing-east', 'orders', 0, 10);
$A->group_commit('billing-west', 'orders', 0, 20);
$B->group_commit('audit-b', 'A.orders', 0, 5);
ok(poll_until(sub {
			my $o = (run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'groups' ]))[1];
			$o =~ /^A\s+billing-west\s/m && $o =~ /^B\s+audit-b\s/m;
		}, 60, 'groups listed'), 'the clusters list the new groups');
type("reset-offsets A --group bi\t");
expect(qr/--group billing-$/, 'Tab after --group completes the common prefix of A\'s groups');
type("\t");
expect(qr/billing-east\s+billing-west/, 'and lists them');
type("\x15");
type("reset-offsets B --group \t");
expect(qr/--group audit-b $/, 'on B only B\'s group');
type("\x15");

# unknown command: the suggestion
type("show lga\n");
expect(qr/% unknown command at "lga"; did you mean "lag"\?.*edge7> $/s, 'a typo gets a suggestion');

# configure -> set -> show | compare -> commit -> rollback
type("configure\n");
expect(qr/candidate copied from revision 1\nedge7\(config\)# $/, 'configure: the prompt shows the mode');
type("set A->B.topics orders, refunds\n");
expect(qr/edge7\(config\)# $/, 'set');
type("show | compare\n");
expect(qr/\+ A->B\.topics = orders, refunds\n.*edge7\(config\)# $/s, 'show | compare');
type("exit\n");
expect(qr/uncommitted changes: `commit` them, or `exit discard`.*edge7\(config\)# $/s,
	'exit with uncommitted changes warns and stays');
type("commit add refunds\n");
expect(qr/revision 2 applied; started: none; restarted: A->B; stopped: none; unchanged: B->A/,
	'commit applies revision 2, only A->B restarted');
ok(wait_count($B, 'A.refunds', 100, 120), 'the commit takes effect on the data path');
type("rollback 1\n");
expect(qr/candidate loaded from revision 1/, 'rollback 1 loads revision 1');
type("show | compare\n");
expect(qr/- A->B\.topics = orders, refunds\n\+ A->B\.topics = orders\n/, 'and shows the difference');
type("commit back\n");
expect(qr/revision 3 applied/, 'commit applies it as revision 3');
type("exit\n");
expect(qr/edge7> $/, 'exit leaves configuration mode');
type("show revisions\n");
expect(qr/1\s+\S+\s+ferryd.*\n2\s+\S+\s+root \(uid 0\)\s+add refunds\n3\s+\*\s+\S+\s+root \(uid 0\)\s+back/s,
	'three revisions, the third running');
# long output goes through $PAGER (here one that marks its lines)
type("show metrics\n");
expect(qr/PAGED:metric\s+labels\s+value.*edge7> $/s, 'output longer than the terminal goes through the pager');
type("show version\n");
expect(qr/config revision\s+3/, 'show version');

# ^C while a failover drains gives the prompt back, and ferryd cancels it
# (B stopped: the records below cannot be mirrored, so the drain waits)
$B->pause;
$A->produce('orders', count => 20, start => 500000);
ok(poll_until(sub { $f->lag('A->B', 'orders') >= 20 }, 60, 'lag'), 'ferryd sees records it cannot mirror');
my $pos = $f->log_position;
type("failover A->B --groups nobody --drain\n");
ok($pos = $f->wait_for_log(qr/failover A->B: draining/, 60, $pos), 'a failover drains');
type("\x03");
expect(qr/% interrupted: the session to ferryd was closed.*\nedge7> $/s, '^C gives the prompt back');
ok($f->wait_for_log(qr/left while `failover A->B --groups nobody --drain` was waiting; cancelled/, 60, $pos),
	'and ferryd cancels the failover');
$B->resume;
type("show version\n");
expect(qr/config revision\s+3/, 'the next command reconnects');
type("exit\n");
$h->finish;
is($h->full_result(0) >> 8, 0, 'the shell exits 0');

# history across runs: Up recalls the last commands
ok(-s "$home/history", 'history file written');
start_shell();
$mark = 0;
expect(qr/edge7> $/, 'a new shell');
type("\e[A");
expect(qr/exit$/, 'Up recalls the last command');
type("\e[A");
expect(qr/show version$/, 'Up again: the one before');
type("\n");
expect(qr/appliance\s+edge7/, 'and it runs');
type("\x04");    # ^D: end of input leaves
$h->finish;
is($h->full_result(0) >> 8, 0, 'end of input leaves the shell');

# ^C and ^D as on a router: ^C drops the line or what runs, never the shell
# (a pager that stays until killed, as less does, and ignores ^C)
my $pager = "$home/pager.sh";
open(my $pfh, '>', $pager) or die "$pager: $!";
print $pfh "#!/bin/sh\ntrap '' INT\nsed s/^/PAGED:/\necho PAGER-WAITS\nwhile :; do sleep 1; done\n";
close $pfh;
chmod 0755, $pager;
start_shell($pager);
$mark = 0;
expect(qr/edge7> $/, 'a third shell');
type("pause flow A->B");
expect(qr/pause flow A->B$/, 'a line typed, not entered');
type("\x03");
expect(qr/\^C\nedge7> $/, '^C at the prompt: a fresh prompt');
ok($h->pumpable, 'and the shell is still there');
type("show flows\n");
expect(qr/show flows\n.*A->B\s+running.*edge7> $/s, 'the next command runs; the dropped line did not');
type("show metrics\n");
expect(qr/PAGED:metric.*PAGER-WAITS/s, 'long output in the pager');
type("\x03");
expect(qr/edge7> $/, '^C in the pager: back at the prompt');
type("show version\n");
expect(qr/config revision\s+3.*edge7> $/s, 'and the shell goes on');

# Tab after a key prefix offers every key valid there, set or not
type("configure\n");
expect(qr/edge7\(config\)# $/, 'configure');
type("set A->B.\t");
expect(qr/A->B\.topics\.exclude\s.*A->B\.tasks\.max\s.*A->B\.sync\.group\.offsets\.enabled\s/s,
	'Tab after "set A->B." lists the per-flow keys, those not set too');
type("sync.gr\t");
expect(qr/sync\.group\.offsets\.$/, 'and completes their common prefix');
type("\x15");
type("set A.consumer.isol\t");
expect(qr/set A\.consumer\.isolation\.level $/, 'a cluster\'s consumer setting');
type("\x15");
type("set B.sasl.mech\t");
expect(qr/set B\.sasl\.mechanism $/, 'a cluster\'s common client setting');
type("\x15");
type("set A-\t");
expect(qr/set A->B\.$/, 'a flow prefix, without a blank after it');
type("\x15");
type("delete A->B.t\t");
expect(qr/delete A->B\.topics $/, 'delete offers only keys that are set');
type("\x15");

# ^C while Tab waits for ferryd's names (ferryd stopped: they cannot come
# before the ^C): the line is dropped and a fresh prompt comes at once,
# not after the completion's wait
$f->signal('STOP');
type("set A->B.t\t");
sleep 1;
type("\x03");
expect(qr/\^C\nedge7\(config\)# $/, '^C while Tab waits for names: a fresh prompt at once', 5);
$f->signal('CONT');
type("show | compare\n");
expect(qr/^show \| compare\nno changes\nedge7\(config\)# $/m,
	'the next command gets its own answer, not the dropped names');

# ^D in configure mode is `exit`: refused with uncommitted changes
type("set A->B.tasks.max 2\n");
expect(qr/edge7\(config\)# $/, 'a change');
# ^C while a command waits in configure mode keeps the session and its
# candidate (ferryd stopped: the answer cannot come before the ^C)
$f->signal('STOP');
type("show | compare\n");
sleep 1;
type("\x03");
expect(qr/% interrupted: ferryd still completes the command; its answer is dropped \(the configure session and its candidate stay\)\nedge7\(config\)# $/,
	'^C while waiting in configure mode: the prompt back, still in configure mode');
$f->signal('CONT');
type("show | compare\n");
expect(qr/\+\s*A->B\.tasks\.max\s*=?\s*2.*edge7\(config\)# $/s,
	'the candidate is still there, and the next answer is its own, not the dropped one');
type("\x04");
expect(qr/the candidate has uncommitted changes: `commit` them, or `exit discard` to drop them\nedge7\(config\)# $/,
	'^D with uncommitted changes: refused as exit is');
ok($h->pumpable, 'the shell stays');
type("exit discard\n");
expect(qr/edge7> $/, 'exit discard');
type("configure\n");
expect(qr/edge7\(config\)# $/, 'configure again');
type("\x04");
expect(qr/edge7> $/, '^D without changes leaves configuration mode');
type("\x04");
$h->finish;
is($h->full_result(0), 0, '^D at the top level leaves the shell, exit 0');

# without a terminal ^C keeps its meaning: a script is stopped
my $sin = '';
my $sh = IPC::Run::start([ $ferry, '-s', $f->socket_path ], '<', \$sin, '>', \my $sout, '2>', \my $serr);
$sin .= "show version\n";
ok(poll_until(sub { $sh->pump_nb; ($sout // '') =~ /config revision/ }, 30, 'script answered'),
	'a script runs');
$sh->signal('INT');
$sh->finish;
is($sh->full_result(0) & 127, 2, 'SIGINT ends a script (signal 2)');

is($f->stop, 0, 'ferryd exits 0');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
