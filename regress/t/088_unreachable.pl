# 088_unreachable: a cluster that does not answer is shown, with the reason,
# and its return is noticed without help.
#
# One ferryd runs C->B, whose source C points at a closed port, and A->B
# between real brokers:
#  (a) C->B shows `degraded` with a reason naming C and the refused
#      connection; `show clusters` says C is unreachable (and since when),
#      ferry_cluster_reachable{cluster="C"} is 0;
#  (b) the source broker A stops: A->B turns degraded naming A, the metric
#      for A drops to 0 and one log line says so; A starts again on the
#      same port: A->B runs again with an empty reason, the metric is 1,
#      one log line says so, and every record produced before and after
#      is on B exactly once;
#  (c) the same for the target broker B, with records produced into A
#      while B is away.
use strict;
use warnings FATAL => 'all';

use HTTP::Tiny;
use JSON::PP ();
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my $A = Ferry::Test::Kafka->new(name => 'A');
my $B = Ferry::Test::Kafka->new(name => 'B');
$A->start;
$B->start;
$A->create_topic('seq', 3);

my $closed = free_port();   # nothing listens there
my $config = mm2_config(clusters => { A => $A, B => $B }, flows => [ 'A->B', 'C->B' ],
	extra => "refresh.topics.interval.seconds = 2\n");
$config =~ s/^clusters = A, B$/clusters = A, B, C/m
  or die "mm2_config changed its clusters line";
$config .= "C.bootstrap.servers = localhost:$closed\nA->B.topics = seq\n";
my $f = Ferry::Test::Ferryd->new(name => 'unreach', config => $config);

sub rows
{
	my (@cmd) = @_;
	my (undef, $out) = $f->ferry(@cmd, '|', 'json');
	return (eval { JSON::PP::decode_json($out) } // {})->{result}{rows} // [];
}

# (state, reason) of FLOW as `show flows | json` says
sub flow
{
	my ($name) = @_;
	my ($row) = grep { $_->[0] eq $name } @{ rows('show', 'flows') };
	return $row ? ($row->[1], $row->[6]) : ('', '');
}

# (reachability, since, last error) of CLUSTER as `show clusters | json` says
sub cluster
{
	my ($name) = @_;
	my ($row) = grep { $_->[0] eq $name } @{ rows('show', 'clusters') };
	return $row ? @$row[ 4 .. 6 ] : ('', '', '');
}

sub metric
{
	my ($name, $cluster) = @_;
	my $resp = HTTP::Tiny->new(timeout => 10)->get($f->metrics_url);
	return undef unless $resp->{success};
	return $resp->{content} =~ /^\Q$name\E\{cluster="\Q$cluster\E"\} (\S+)$/m ? $1 + 0 : undef;
}

sub count_lines
{
	my ($re, $from) = @_;
	my $log = substr($f->log, $from);
	my $n = () = $log =~ /$re/g;
	return $n;
}

# no client warns of its own failed connections once the cluster's line is out
sub quiet_since
{
	my ($re, $from, $name) = @_;
	my $log = substr($f->log, $from);
	my @noise;
	@noise = grep { /warning:/ && /refused|brokers are down/ && !/cluster \w+ unreachable/ }
	  split /\n/, $' if $log =~ /$re[^\n]*\n/;
	is(scalar @noise, 0, "no warning per retry while $name is away")
	  or diag(join("\n", @noise));
}

$A->produce('seq', count => 3000, start => 0);
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 120), 'A->B running');

# --- (a) a source that was never there ---
ok(poll_until(sub { my ($s, $r) = flow('C->B'); $s eq 'degraded' && $r ne '' }, 30,
		'C->B to show a reason'), 'C->B degraded within 30 s');
my ($state, $reason) = flow('C->B');
like($reason, qr/^C unreachable: .*\Q$closed\E.*Connection refused/i,
	"C->B's reason names C, the port and the refused connection: $reason");
my ($reach, $since, $why) = cluster('C');
is($reach, 'unreachable', 'show clusters: C unreachable');
like($since, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, "since when: $since");
like($why, qr/Connection refused/i, "with the last error: $why");
is(metric('ferry_cluster_reachable', 'C'), 0, 'ferry_cluster_reachable{cluster="C"} is 0');
like(HTTP::Tiny->new(timeout => 10)->get($f->metrics_url)->{content} // '',
	qr/^ferry_flow_state\{flow="C->B",source="C",target="B",state="degraded"\} 1$/m,
	'ferry_flow_state says C->B is degraded');
is((cluster('A'))[0], 'reachable', 'show clusters: A reachable');
is(metric('ferry_cluster_reachable', 'A'), 1, 'ferry_cluster_reachable{cluster="A"} is 1');
($state, $reason) = flow('A->B');
is("$state/$reason", 'running/', 'A->B runs, no reason');
my (undef, $text) = $f->ferry('show', 'flows');
like($text, qr/C->B\s+degraded.*C unreachable/, 'the table shows the state and reason too');
like($f->log, qr/cluster C unreachable: .*Connection refused/, 'the log says C is unreachable');
ok(wait_count($B, 'A.seq', 3000, 120), 'the first 3000 records are on B');

# --- (b) the source goes away and comes back ---
my $pos = $f->log_position;
$A->stop;
ok(poll_until(sub { (flow('A->B'))[0] eq 'degraded' }, 60, 'A->B degraded'),
	'A->B degraded once A stopped');
($state, $reason) = flow('A->B');
like($reason, qr/^A unreachable: /, "reason names A: $reason");
is((cluster('A'))[0], 'unreachable', 'show clusters: A unreachable');
is(metric('ferry_cluster_reachable', 'A'), 0, 'ferry_cluster_reachable{cluster="A"} is 0');
sleep 15;   # librdkafka retries meanwhile: still one log line
is(count_lines(qr/cluster A unreachable/, $pos), 1, 'one log line for A going away');
quiet_since(qr/cluster A unreachable/, $pos, 'A');
ok(metric('ferry_cluster_unreachable_seconds_total', 'A') >= 10,
	'ferry_cluster_unreachable_seconds_total counts the outage');

$pos = $f->log_position;
$A->start;
ok(poll_until(sub { (flow('A->B'))[0] eq 'running' }, 60, 'A->B running again'),
	'A->B running again by itself');
is((flow('A->B'))[1], '', 'reason empty');
ok(poll_until(sub { (metric('ferry_cluster_reachable', 'A') // -1) == 1 }, 30,
		'A reachable'), 'ferry_cluster_reachable{cluster="A"} is 1');
is((cluster('A'))[0], 'reachable', 'show clusters: A reachable');
is(count_lines(qr/cluster A reachable again/, $pos), 1, 'one log line for A coming back');
$A->produce('seq', count => 3000, start => 3000);
ok(wait_count($B, 'A.seq', 6000, 120), 'records produced after the restart arrive');
my $r = $B->seqcheck('A.seq', count => 6000, exact => 1);
is($r->{exit}, 0, "every record before and after the outage once: $r->{summary}");

# --- (c) the target goes away and comes back ---
$pos = $f->log_position;
$B->stop;
ok(poll_until(sub { (flow('A->B'))[0] eq 'degraded' }, 60, 'A->B degraded'),
	'A->B degraded once B stopped');
($state, $reason) = flow('A->B');
like($reason, qr/^B unreachable: /, "reason names B: $reason");
is((cluster('B'))[0], 'unreachable', 'show clusters: B unreachable');
is(metric('ferry_cluster_reachable', 'B'), 0, 'ferry_cluster_reachable{cluster="B"} is 0');
$A->produce('seq', count => 3000, start => 6000);   # while B is away
sleep 10;
is(count_lines(qr/cluster B unreachable/, $pos), 1, 'one log line for B going away');
quiet_since(qr/cluster B unreachable/, $pos, 'B');

$pos = $f->log_position;
$B->start;
ok(poll_until(sub { (flow('A->B'))[0] eq 'running' }, 60, 'A->B running again'),
	'A->B running again once B is back');
is((flow('A->B'))[1], '', 'reason empty');
# C->B's producer says so too, at its next statistics (5 s)
ok(poll_until(sub { (metric('ferry_cluster_reachable', 'B') // -1) == 1 }, 30,
		'B reachable for every flow'), 'ferry_cluster_reachable{cluster="B"} is 1');
is((cluster('B'))[0], 'reachable', 'show clusters: B reachable');
is(count_lines(qr/cluster B reachable again/, $pos), 1, 'one log line for B coming back');
ok(wait_count($B, 'A.seq', 9000, 120), 'records produced while B was away arrive');
$r = $B->seqcheck('A.seq', count => 9000, exact => 1);
is($r->{exit}, 0, "every record once, 0 lost: $r->{summary}");
($state, $reason) = flow('C->B');
like($reason, qr/^C unreachable/, 'C->B still says C is unreachable');

is($f->stop, 0, 'ferryd stops cleanly');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
