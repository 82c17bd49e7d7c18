# 060_fatal: a record the target refuses for good stops its flow loudly,
# naming the record; the flow never skips it. ferryd stays up so the
# operator sees why (`show flows`); after the target is fixed, `resume flow`
# (and likewise a restart) resumes from exactly that record.
use strict;
use warnings FATAL => 'all';

use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Utils;

my $A = Ferry::Test::Kafka->new(name => 'A');
my $B = Ferry::Test::Kafka->new(name => 'B');
$A->start;
$B->start;

# the remote topic exists already and only takes small batches
$A->create_topic('big', 1);
$B->create_topic('A.big', 1, 'max.message.bytes' => 3000);
$A->produce('big', count => 100, start => 0);
my (undef, $big_offset) = $A->put('big', key => 'k-100', value => 'x' x 8000,
	headers => [ [ 'seq', '100' ] ], partition => 0);
is($big_offset, 100, 'an 8000-byte record at offset 100');
$A->produce('big', count => 100, start => 101);

my $f = Ferry::Test::Ferryd->new(
	name => 'fatal',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "B.producer.batch.size = 2000\nB.producer.linger.ms = 0\n"
		  . "ferry.positions.flush.interval.ms = 100\n"));
$f->start;
ok($f->wait_for_log(qr/flow A->B failed: record big\[0\]\@100 was not written to A\.big\[0\] on B: .*too large/i, 120),
	'the flow fails naming the record and the reason');
ok($f->is_running, 'ferryd keeps running for the operator to look');
my $ferry = Ferry::Test::Utils::build_dir() . '/ferry';
my ($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'show', 'flows' ]);
is($rc, 0, 'ferry show flows');
like($out, qr/A->B\s+failed.*record big\[0\]\@100 was not written/, 'shows the flow failed and why')
  or diag($out, $err);

my $r = $B->seqcheck('A.big', count => 100);
is($r->{missing}, 0, "records before the refused one were mirrored ($r->{summary})");
my $beyond = grep { $_ >= 100 } @{ $r->{unexpected_list} };
is($beyond, 0, 'nothing at or after the refused record was written (no skipping)');

# the operator raises the limit and resumes the flow: it restarts at the
# refused record
$B->kt('set-config', 'A.big', 'max.message.bytes=100000');
# the broker applies a committed config change a moment later: a resume
# that comes first is refused again, on the same record, and the operator
# resumes once more
my $refused = 0;
ok(poll_until(sub {
			my $p = $f->log_position;
			($rc, $out, $err) = run_cmd([ $ferry, '-s', $f->socket_path, 'resume', 'flow', 'A->B' ]);
			return 0 if $rc != 0;
			poll_until(sub { count_or_zero($B, 'A.big') >= 201 || substr($f->log, $p) =~ /flow A->B failed/ },
				120, 'the resumed flow');
			$refused++ if substr($f->log, $p) =~ /flow A->B failed/;
			return count_or_zero($B, 'A.big') >= 201;
		}, 300, 'resume past the record'), 'after the fix and a resume every record arrives');
note("resumes refused before the broker applied the new limit: $refused");
is($rc, 0, 'ferry resume flow A->B') or diag($err);
like($out, qr/flow A->B resumed/, 'says so');
$r = $B->seqcheck('A.big', count => 201);
is($r->{missing}, 0, "nothing skipped ($r->{summary})");
is($r->{duplicates}, 0, 'nothing re-sent: the position was saved before the refused record');
mirror_identical($A, 'big', $B, 'A.big', 'A.big identical to big');
is($f->stop, 0, 'clean stop');
my $pos = $f->log_position;
$f->start;
ok($f->wait_for_log(qr/A->B: running/, 60, $pos), 'a restart picks up where it was');
# a record written after the restart arrives after anything re-sent
$A->produce('big', count => 1, start => 201);
ok(poll_until(sub { $B->seqcheck('A.big', count => 202)->{missing} == 0 }, 120, 'the record after the restart'),
	'a new record arrives after the restart');
is($B->seqcheck('A.big', count => 202)->{duplicates}, 0, 'and nothing before it was re-sent');
is($f->stop, 0, 'clean stop');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports');
done_testing();
