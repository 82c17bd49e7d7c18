# 102_placement: data placement. A (source, region=eu) fans out to E
# (region=eu) and U (region=us); rule pii keeps customers-.* in region=eu.
# customers-eu reaches E and never U: not one record, no topic created
# there, not even through E (E->U judges A.customers-eu by its upstream
# name). A rule added by `commit` while records flow stops the copy to U
# at once, without a restart, and holds its records back (show placement
# counts them); removing it again copies every one of them to U, nothing
# lost, nothing twice. The audit trail, show placement/topics/flows,
# /metrics and `placement check` say so; each bad rule is refused whole,
# from the file and from a commit. The transfer ledger (show transfers)
# gives the records copied to E the rule and category that allowed them,
# as many as E holds, and has for U a row of the topic as a whole
# (partition -1) with the rule and the records it holds back.
use strict;
use warnings FATAL => 'all';

use HTTP::Tiny;
use JSON::PP;
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my ($A, $E, $U) = Ferry::Test::Kafka->start_clusters('A', 'E', 'U');
$A->create_topic('customers-eu', 2);
$A->create_topic('orders', 1);
$A->create_topic('kyc-live', 2);
$A->produce('customers-eu', count => 1000);
$A->produce('orders', count => 500, start => 5000);

my $rules = "ferry.placement.rules = pii\n"
  . "ferry.placement.pii.topics = customers-.*, kyc\\\\..*\n"    # \\ in a .properties file
  . "ferry.placement.pii.require = region=eu\n"
  . "ferry.placement.pii.category = personal-data\n"
  . "ferry.placement.pii.basis = GDPR Art. 44\n";
my $base = mm2_config(
	clusters => { A => $A, E => $E, U => $U },
	flows => [ 'A->E', 'A->U', 'E->U' ],
	extra => "topics = customers-eu, orders, kyc-live\n"
	  . "E->U.topics = A.customers-eu, A.orders\n"
	  . "refresh.topics.interval.seconds = 2\n"
	  . "A.ferry.labels = region=eu, jurisdiction=de\n"
	  . "E.ferry.labels = region=eu\n"
	  . "U.ferry.labels = region=us, jurisdiction=us\n"
	  . "ferry.control.group = nogroup\n"
	  . "ferry.control.role.auditor = user:nobody\n");

my $f = Ferry::Test::Ferryd->new(name => 'place', config => $base . $rules);

# --- bad input in the file: each refused with file:line and key ---
my @bad = (
	[ "ferry.placement.rules = pii, ghost\n", qr/:\d+: ferry\.placement\.rules: unknown rule "ghost"/,
		'an unknown rule name' ],
	[ "ferry.placement.rules = pii, half\nferry.placement.half.topics = x.*\n",
		qr/:\d+: ferry\.placement\.rules: rule "half" requires nothing; expected ferry\.placement\.half\.require/,
		'a rule without require' ],
	[ "ferry.placement.rules = pii, half\nferry.placement.half.require = region=eu\n",
		qr/:\d+: ferry\.placement\.rules: rule "half" has no topics/, 'a rule without topics' ],
	[ "ferry.placement.stray.topics = x\n",
		qr/:\d+: ferry\.placement\.stray\.topics: rule "stray" is not listed in ferry\.placement\.rules/,
		'a rule key of a rule not listed' ],
	[ "U.ferry.labels = region\n", qr/:\d+: U\.ferry\.labels: malformed label "region"; expected KEY=VALUE/,
		'a malformed label' ],
	[ "U.ferry.labels = re gion=us\n", qr/:\d+: U\.ferry\.labels: malformed label "re gion=us"/,
		'a label with a blank' ],
	[ "ferry.placement.pii.topics = customers-(.*\n",
		qr/:\d+: ferry\.placement\.pii\.topics: invalid regular expression "customers-\(\.\*"/,
		'an invalid regex' ],
	[ "ferry.labels = region=eu\n", qr/:\d+: ferry\.labels: set per cluster; write <alias>\.ferry\.labels/,
		'labels without a cluster' ],
);
for my $b (@bad)
{
	my ($rc, $out, $err) = $f->check_config($base . $rules . $b->[0]);
	isnt($rc, 0, "file: $b->[2] is refused");
	like($err, $b->[1], "file: $b->[2]: file:line, key and what was expected") or diag($err);
}
my ($rc, $out, $err) = $f->check_config($base . $rules);
is($rc, 0, 'the good file is accepted') or diag($err);

$f->start;
ok($f->wait_for_log(qr/A->U: running/, 120), 'A->U running');

sub ferry { return $f->ferry(@_); }

sub ferry_json
{
	my ($rc, $out, $err) = ferry(@_, '|', 'json');
	die "ferry @_: $err" if $rc != 0;
	return decode_json($out);
}

sub commit
{
	my (@lines) = @_;
	my $script = "configure\n" . join('', map { "$_\n" } @lines) . "commit\nexit discard\n";
	return ferry({ stdin => $script }, '-e');
}

sub revisions
{
	my (undef, $out) = ferry('show', 'revisions');
	return scalar(() = $out =~ /^\d+\s/mg);
}

sub audit_lines
{
	my ($re) = @_;
	my $rows = ferry_json('show', 'audit', 1000)->{result}{rows};
	return grep { $_->[5] =~ $re } @$rows;
}

sub topic_state
{
	my ($flow, $topic) = @_;
	my ($row) = grep { $_->[1] eq $topic } @{ ferry_json('show', 'topics', $flow)->{result}{rows} };
	return $row ? $row->[4] : '';
}

sub placement_rows { return ferry_json('show', 'placement')->{result}{rows}; }

# `show transfers FLOW`'s rows of TOPIC, each as { column => value }
sub ledger_rows
{
	my ($flow, $topic) = @_;
	my $res = ferry_json('show', 'transfers', $flow)->{result};
	my @rows;
	for my $r (@{ $res->{rows} })
	{
		my %h;
		@h{ @{ $res->{columns} } } = @$r;
		push @rows, \%h if $h{topic} eq $topic;
	}
	return \@rows;
}

# the records FLOW's ledger counts of TOPIC, all days and partitions
sub ledger_records
{
	my $n = 0;
	$n += $_->{records} for @{ ledger_rows(@_) };
	return $n;
}

# the ledger row of TOPIC as a whole (partition -1) of FLOW, the last day's
sub held_row
{
	my @h = grep { $_->{partition} == -1 } @{ ledger_rows(@_) };
	return $h[-1];
}

sub blocked_metric
{
	my ($flow) = @_;
	my $resp = HTTP::Tiny->new(timeout => 10)->get($f->metrics_url);
	return undef unless $resp->{status} == 200;
	return $1 + 0 if $resp->{content} =~ /^ferry_placement_blocked_topics\{flow="\Q$flow\E"[^}]*\} (\S+)$/m;
	return undef;
}

# --- the rule from the file: customers-eu to E only ---
ok(wait_count($E, 'A.customers-eu', 1000, 120), 'customers-eu complete on E');
is($E->seqcheck('A.customers-eu', count => 1000, exact => 1)->{exit}, 0, 'A.customers-eu on E exactly once');
ok(wait_count($U, 'A.orders', 500, 120), 'orders (no rule) complete on U');
ok($f->wait_rounds('A->U', 3), 'three more discovery rounds of A->U');
ok(!exists $U->topics->{'A.customers-eu'}, 'no A.customers-eu topic created on U');
is(count_or_zero($U, 'A.customers-eu'), 0, 'not one customers-eu record on U');
is(scalar(audit_lines(qr/placement: flow A->U: topic customers-eu blocked-by-placement on U: rule pii \(category personal-data, basis GDPR Art\. 44\) requires region=eu; U has labels region=us, jurisdiction=us/)),
	1, 'the audit trail says so, once for the topic and flow (not per round)');
is(scalar(audit_lines(qr/placement: flow A->E: topic customers-eu/)), 0, 'nothing blocked on E');
is(topic_state('A->U', 'customers-eu'), 'blocked-by-placement: rule pii', 'show topics: blocked-by-placement with the rule');
is(topic_state('A->E', 'customers-eu'), 'mirroring', 'show topics: mirroring to E');
($rc, $out) = ferry('show', 'flows');
like($out, qr/^A->U\s+running\s.*1 topic\(s\) blocked-by-placement: customers-eu \(rule pii\)/m,
	'show flows: the flow runs and names the held topic');
is(blocked_metric('A->U'), 1, 'ferry_placement_blocked_topics{flow="A->U"} = 1');
is(blocked_metric('A->E'), 0, 'ferry_placement_blocked_topics{flow="A->E"} = 0');

# the second hop: A.customers-eu on E is judged by its upstream name
ok(wait_count($U, 'E.A.orders', 500, 120), 'E->U copies A.orders on to U');
ok($f->wait_rounds('E->U', 2), 'two more discovery rounds of E->U');
ok(!exists $U->topics->{'E.A.customers-eu'}, 'E->U creates no E.A.customers-eu on U');
is(scalar(audit_lines(qr/placement: flow E->U: topic A\.customers-eu blocked-by-placement on U: rule pii/)), 1,
	'the second hop is audited too');

my %pr = map { ("$_->[0] $_->[1]" => $_) } @{ placement_rows() };
is_deeply([ @{ $pr{'customers-eu A'} }[ 2 .. 5 ] ], [ 'source', 'region=eu, jurisdiction=de', 'pii', 'personal-data' ],
	'show placement: the source holds customers-eu, its labels, rule and category');
like($pr{'customers-eu A'}[6], qr/^\d+( \(default\))?$/, 'show placement: retention.ms on the source');
is_deeply([ @{ $pr{'customers-eu E'} }[ 2 .. 5 ] ], [ 'copy A.customers-eu', 'region=eu', 'pii', 'personal-data' ],
	'show placement: E holds the copy');
like($pr{'customers-eu E'}[6], qr/^\d+/, 'show placement: retention.ms in force on E');
is_deeply([ @{ $pr{'customers-eu U'} }[ 2 .. 5 ], $pr{'customers-eu U'}[7], $pr{'customers-eu U'}[8] ],
	[ 'blocked-by-placement', 'region=us, jurisdiction=us', 'pii', 'personal-data', 1000, 'A->U' ],
	'show placement: held back from U, all 1000 records');
is($pr{'orders U'}[2], 'copy A.orders', 'show placement: orders (no rule) is copied to U');
# what the clusters said is recorded as the retention in force on each copy
# (schema/013_remote_retention.sql), never the source's own: emptied first,
# so that what is there is show placement's (the topic config sync reads
# again only in sync.topic.configs.interval.seconds, 600)
{
	my $db = $f->state_dir . '/ferry.db';
	my ($q_rc, $q_out, $q_err) = run_cmd([ 'sqlite3', '-cmd', '.timeout 5000', $db, 'DELETE FROM remote_retention' ]);
	is($q_rc, 0, 'the recorded retention emptied') or diag($q_err);
	my %again = map { ("$_->[0] $_->[1]" => $_) } @{ placement_rows() };
	my ($ret_e) = ($again{'customers-eu E'}[6] =~ /^(\d+)/);
	($q_rc, $q_out, $q_err) = run_cmd([ 'sqlite3', '-cmd', '.timeout 5000', $db,
		"SELECT cluster, topic, retention_ms FROM remote_retention WHERE topic LIKE '%customers-eu' "
		  . 'ORDER BY cluster' ]);
	is($q_rc, 0, 'the state store reads') or diag($q_err);
	like($q_out, qr/^E\|A\.customers-eu\|\Q$ret_e\E$/m,
		'show placement recorded the retention E said for A.customers-eu');
	unlike($q_out, qr/^A\|/m, 'a source topic is no remote copy: not recorded');
}

# --- the transfer ledger: the rule that allowed a copy, and what a rule held back ---
my $on_e = count_or_zero($E, 'A.customers-eu');
ok(poll_until(sub { ledger_records('A->E', 'customers-eu') == $on_e }, 30, 'the ledger of A->E'),
	"show transfers: A->E counts $on_e records of customers-eu, as many as E holds");
my @erows = @{ ledger_rows('A->E', 'customers-eu') };
is_deeply([ map { "$_->{partition} $_->{rule} $_->{category}" } @erows ],
	[ '0 pii personal-data', '1 pii personal-data' ],
	'... per partition, with the rule and category that allowed the copy (no held-back row)');
is_deeply([ map { $_->{'held back'} } @erows ], [ 0, 0 ], '... and nothing held back');
my $on_u_orders = count_or_zero($U, 'A.orders');
ok(poll_until(sub { ledger_records('A->U', 'orders') == $on_u_orders }, 30, 'the ledger of orders'),
	"show transfers: A->U counts the $on_u_orders orders records U holds");
ok(!grep({ defined $_->{rule} || defined $_->{category} } @{ ledger_rows('A->U', 'orders') }),
	'... without a rule or category (no rule names orders)');
my $held_cu = $A->count('customers-eu') - count_or_zero($U, 'A.customers-eu');
my $h;
ok(poll_until(sub { $h = held_row('A->U', 'customers-eu'); $h && $h->{'held back'} == $held_cu },
		30, 'the held-back row of A->U'),
	"show transfers: A->U holds back $held_cu records of customers-eu (source end offsets minus what reached U)");
is_deeply([ map { $_->{partition} } @{ ledger_rows('A->U', 'customers-eu') } ], [-1],
	'... in the row of the topic as a whole, its only row');
is_deeply([ @{$h}{qw(records bytes rule category)}, $h->{'first offset'} ], [ 0, 0, 'pii', 'personal-data', undef ],
	'... with the rule and category that hold them, and no record copied');
my $held_e = count_or_zero($E, 'A.customers-eu') - count_or_zero($U, 'E.A.customers-eu');
ok(poll_until(sub { $h = held_row('E->U', 'A.customers-eu'); $h && $h->{'held back'} == $held_e }, 30,
		'the held-back row of E->U'),
	"show transfers: the second hop E->U holds back $held_e records of A.customers-eu");
is($h && $h->{rule}, 'pii', '... by rule pii');
($rc, $out) = ferry('show', 'transfers', 'A->U');
like($out, qr/^\S+\s+A->U\s+customers-eu\s+-1\s+0\s+0\s.*\spii\s+personal-data\s+$held_cu\s*$/m,
	'show transfers (table): the held-back row reads as such');

my $j = ferry_json('placement', 'check', 'customers-eu', 'U');
like($j->{message}, qr/^blocked: customers-eu may not be copied to U \(labels: region=us, jurisdiction=us\): rule pii requires region=eu$/,
	'placement check customers-eu U: blocked, with the rule');
is_deeply($j->{result}{rows}, [ [ 'pii', 'customers-.*, kyc\..*', 'region=eu', 'personal-data', 'GDPR Art. 44', 'no' ] ],
	'placement check: the rule that applies');
like(ferry_json('placement', 'check', 'customers-eu', 'E')->{message}, qr/^allowed: E \(labels: region=eu\) meets every rule naming customers-eu \(pii\)$/,
	'placement check customers-eu E: allowed');
like(ferry_json('placement', 'check', 'orders', 'U')->{message}, qr/^allowed: no placement rule names orders/,
	'placement check orders U: no rule');
($rc, $out, $err) = ferry('placement', 'check', 'orders', 'X');
isnt($rc, 0, 'placement check of an unknown cluster fails');
like($err, qr/no cluster X/, '... naming it');

# the auditor role may run both, and change nothing
my @nobody = ({ as => [ '--reuid=65534', '--regid=65534', '--clear-groups' ] });
($rc, $out, $err) = ferry(@nobody, 'placement', 'check', 'customers-eu', 'U');
is($rc, 0, 'an auditor may run placement check') or diag($err);
like($out, qr/^blocked: /m, '... and reads the verdict');
($rc, $out, $err) = ferry(@nobody, 'show', 'placement');
is($rc, 0, 'an auditor may run show placement') or diag($err);
like($out, qr/^customers-eu\s+U\s+blocked-by-placement\s/m, '... and sees the held topic');
($rc, $out, $err) = ferry({ %{ $nobody[0] }, stdin => "configure\n" }, '-e');
like("$out$err", qr/permission denied: `configure` needs the admin role/, 'but may not configure');

# --- a rule added by commit while records flow ---
my $N = 40000;
my ($finish) = $A->produce_bg('kyc-live', count => $N, start => 100000, rate => 4000);
ok(poll_until(sub { count_or_zero($U, 'A.kyc-live') >= 2000 }, 120, 'kyc-live on U'), 'kyc-live flows to U');
my $revs = revisions();
($rc, $out, $err) = commit('set ferry.placement.rules pii, live', 'set ferry.placement.live.topics kyc-.*',
	'set ferry.placement.live.require region=eu', 'set ferry.placement.live.category kyc');
is($rc, 0, 'commit of rule live') or diag($err);
like($out, qr/restarted: none; stopped: none; unchanged: A->E A->U E->U/, 'no flow restarts for a placement rule');
ok(poll_until(sub { topic_state('A->U', 'kyc-live') eq 'blocked-by-placement: rule live' }, 10, 'blocked'),
	'the rule is in force within seconds (nothing of kyc-live in flight to U)');
my $on_u = count_or_zero($U, 'A.kyc-live');
cmp_ok($on_u, '<', $N, "U stopped at $on_u records while A was still producing");
my ($prc, $perr) = $finish->();
is($prc, 0, 'the producer wrote every record') or diag($perr);
ok(wait_count($E, 'A.kyc-live', $N, 180), 'every kyc-live record reaches E');
my $r = $E->seqcheck('A.kyc-live', count => $N, start => 100000, exact => 1);
is($r->{exit}, 0, "A.kyc-live on E: every record exactly once ($r->{summary})");
ok($f->wait_rounds('A->U', 2), 'two more discovery rounds');
is(count_or_zero($U, 'A.kyc-live'), $on_u, 'not one more kyc-live record reached U after the rule');
$r = $U->seqcheck('A.kyc-live', count => $N, start => 100000);
is($r->{duplicates} + $r->{unexpected}, 0, "what reached U before the rule is no duplicate ($r->{summary})");
ok(exists $U->topics->{'A.kyc-live'}, 'what was copied before stays (reported, not deleted)');
is(scalar(audit_lines(qr/placement: flow A->U: topic kyc-live blocked-by-placement on U: rule live \(category kyc\) requires region=eu; U has labels region=us, jurisdiction=us; what was copied before stays there/)),
	1, 'the audit trail has the new block, once');
ok(poll_until(sub {
		my ($row) = grep { $_->[0] eq 'kyc-live' && $_->[1] eq 'U' } @{ placement_rows() };
		$row && $row->[2] eq 'blocked-by-placement; copy made before the rule: A.kyc-live'
		  && defined $row->[7] && $row->[7] == $N - $on_u;
	}, 20, 'held back'),
	'show placement: the copy made before the rule, and exactly the records held back');
is(blocked_metric('A->U'), 2, 'ferry_placement_blocked_topics{flow="A->U"} = 2');
ok(poll_until(sub { $h = held_row('A->U', 'kyc-live'); $h && $h->{'held back'} == $N - $on_u }, 30,
		'the held-back row of kyc-live'),
	'show transfers: A->U holds back exactly the kyc-live records not copied');
is_deeply([ @{$h}{qw(rule category)} ], [ 'live', 'kyc' ], '... by rule live, category kyc');
my @urows = grep { $_->{partition} >= 0 } @{ ledger_rows('A->U', 'kyc-live') };
my $urecs = 0;
$urecs += $_->{records} for @urows;
is($urecs, $on_u, "the ledger counts the $on_u kyc-live records U got before the rule");
ok(!grep({ defined $_->{rule} } @urows), '... which no rule named when they were copied');
ok(poll_until(sub { ledger_records('A->E', 'kyc-live') == $N }, 30, 'the ledger of kyc-live on E'),
	"show transfers: A->E counts all $N kyc-live records, as many as E holds");
is_deeply([ map { $_->{rule} } @{ ledger_rows('A->E', 'kyc-live') } ], [ 'live', 'live' ],
	'... under rule live, which E meets');

# --- bad rules by commit: refused whole, nothing applied ---
for my $b (
	[ [ 'set ferry.placement.rules pii, live, ghost' ], qr/unknown rule "ghost"/, 'an unknown rule' ],
	[ [ 'set ferry.placement.rules pii, live, half', 'set ferry.placement.half.topics x.*' ],
		qr/rule "half" requires nothing/, 'a rule without require' ],
	[ [ 'set ferry.placement.live.topics kyc-(' ], qr/ferry\.placement\.live\.topics: invalid regular expression/,
		'an invalid regex' ],
	[ [ 'set U.ferry.labels region=eu, jurisdiction' ], qr/U\.ferry\.labels: malformed label "jurisdiction"/,
		'a malformed label (with a valid change beside it)' ],
	[ [ 'set ferry.placement.other.require region=eu' ], qr/rule "other" is not listed/, 'a key of an unlisted rule' ])
{
	($rc, $out, $err) = commit(@{ $b->[0] });
	like("$out$err", qr/candidate:\d+: .*$b->[1]/, "commit: $b->[2] is refused naming line and key")
	  or diag("$out$err");
}
is(revisions(), $revs + 1, 'no revision was added by the refused commits');
($rc, $out, $err) = ferry('placement', 'check', 'customers-eu', 'U');
like($out, qr/^blocked:/m, 'U labels unchanged: customers-eu still blocked to U');

# --- the rule removed by commit: every held record reaches U ---
($rc, $out, $err) = commit('set ferry.placement.rules pii', 'delete ferry.placement.live.topics',
	'delete ferry.placement.live.require', 'delete ferry.placement.live.category');
is($rc, 0, 'commit removing rule live') or diag($err);
ok(wait_count($U, 'A.kyc-live', $N, 180), 'every kyc-live record reaches U once the rule is gone');
$r = $U->seqcheck('A.kyc-live', count => $N, start => 100000, exact => 1);
is($r->{exit}, 0, "A.kyc-live on U: every record exactly once, nothing lost ($r->{summary})");
is(scalar(audit_lines(qr/placement: flow A->U: topic kyc-live may be copied to U again/)), 1,
	'the audit trail says the topic is copied again');
is(topic_state('A->U', 'kyc-live'), 'mirroring', 'show topics: kyc-live mirroring to U again');
is(topic_state('A->U', 'customers-eu'), 'blocked-by-placement: rule pii', 'customers-eu still blocked');
is(count_or_zero($U, 'A.customers-eu'), 0, 'and still not one customers-eu record on U');

is($f->stop, 0, 'ferryd exits 0 on SIGTERM');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
