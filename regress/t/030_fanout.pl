# 030_fanout: one ferryd runs A->B and A->C; each target gets every record
# exactly once, with per-flow topic filters honoured. ferryd speaks the
# systemd notify protocol (READY, STATUS, STOPPING) on $NOTIFY_SOCKET.
use strict;
use warnings FATAL => 'all';

use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my %c = map { $_ => Ferry::Test::Kafka->new(name => $_) } qw(A B C);
$_->start for values %c;
my ($A, $B, $C) = @c{qw(A B C)};

$A->create_topic('events', 4);
$A->create_topic('audit', 2);
$A->produce('events', count => 30000, start => 0);
$A->produce('audit', count => 3000, start => 50000);

my $f = Ferry::Test::Ferryd->new(
	name => 'fan',
	config => mm2_config(
		clusters => \%c,
		flows => [ 'A->B', 'A->C' ],
		extra => "A->C.topics = events\ntasks.max = 2\nrefresh.topics.interval.seconds = 2\n"));
my $sock_path = $f->dir . '/notify.sock';
my $notify = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $sock_path)
  or die "notify socket: $!";
$notify->blocking(0);
my $notes = '';
my $read_notes = sub {
	while (defined $notify->recv(my $buf, 4096)) { last if $buf eq ''; $notes .= "$buf\n"; }
	return $notes;
};
$f->start(env => { NOTIFY_SOCKET => $sock_path });
ok(poll_until(sub { $read_notes->() =~ /READY=1/ }, 60, 'READY=1'), 'sd_notify READY=1 sent');

ok(wait_count($B, 'A.events', 30000, 300), 'A.events complete on B');
ok(wait_count($C, 'A.events', 30000, 300), 'A.events complete on C');
ok(wait_count($B, 'A.audit', 3000, 300), 'A.audit complete on B');
for my $t ([ $B, 'B' ], [ $C, 'C' ])
{
	my $r = $t->[0]->seqcheck('A.events', count => 30000, exact => 1);
	is($r->{exit}, 0, "A.events on $t->[1] exactly once ($r->{summary})");
	mirror_identical($A, 'events', $t->[0], 'A.events', "A.events on $t->[1] identical");
}
is($B->seqcheck('A.audit', count => 3000, start => 50000, exact => 1)->{exit}, 0, 'A.audit on B exact');
ok($f->wait_rounds('A->C', 2), 'two more discovery rounds of A->C');
ok(!exists $C->topics->{'A.audit'}, 'A->C.topics = events keeps audit off C');
ok(!exists $B->topics->{'B.A.events'} && !exists $C->topics->{'C.A.events'}, 'no stray names');

ok(poll_until(sub { $read_notes->() =~ /STATUS=2 flows running, 0 failed, \d+ records mirrored/ }, 30, 'STATUS'),
	'sd_notify STATUS reports both flows running');
is($f->stop, 0, 'ferryd exits 0 on SIGTERM');
like($read_notes->(), qr/STOPPING=1/, 'sd_notify STOPPING=1 sent');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
