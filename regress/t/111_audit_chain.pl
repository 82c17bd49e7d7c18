# 111_audit_chain: the audit trail is a hash chain, and a changed or
# deleted entry is found and named.
#
# One ferryd without Kafka (the audit trail needs none: both bootstrap
# addresses are closed ports, no flow enabled, no heartbeats, which would
# hold a stop for their topic creation's timeout) gets a few commands:
#  (a) `show audit` shows each entry's prev hash and hash; the first entry
#      follows 64 zeros, each next one the hash before it, and every hash is
#      recomputed here (Digest::SHA, the encoding of the contract) from the
#      shown fields; `audit verify` says ok with the count and id range;
#  (b) `ferryd --verify-audit` says the same while ferryd runs, and after it
#      stops; restarted, the new entries continue the chain;
#  (c) ferryd stopped, one entry edited with sqlite3: --verify-audit exits 3
#      naming that id and "hash mismatch"; restarted, `audit verify` says
#      broken with the same problem;
#  (d) restored, then another entry deleted: a gap naming the deleted id.
use strict;
use warnings FATAL => 'all';

use Digest::SHA qw(sha256_hex);
use JSON::PP ();
use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Utils;

my ($pa, $pb) = (free_port(), free_port());
my $config = "clusters = A, B\nA.bootstrap.servers = localhost:$pa\n"
  . "B.bootstrap.servers = localhost:$pb\nA->B.enabled = false\nA->B.topics = seq\n"
  . "replication.factor = 1\nemit.heartbeats.enabled = false\n";
my $f = Ferry::Test::Ferryd->new(name => 'chain', config => $config);
my $db = $f->state_dir . '/ferry.db';

sub result
{
	my (@cmd) = @_;
	my ($rc, $out, $err) = $f->ferry(@cmd, '|', 'json');
	my $j = eval { JSON::PP::decode_json($out) } // {};
	diag("ferry @cmd: $rc: $err") if $rc;
	return $j->{result} // {};
}

# audit verify as a hash of its one row
sub verify
{
	my $r = result('audit', 'verify');
	my %row;
	@row{ @{ $r->{columns} // [] } } = @{ $r->{rows}[0] // [] };
	return \%row;
}

sub offline
{
	my ($rc, $out, $err) = run_cmd([ Ferry::Test::Ferryd::binary(), '--state-dir', $f->state_dir,
		'--verify-audit' ]);
	return ($rc, $out . $err);
}

sub enc { my ($v) = @_; utf8::encode($v); return length($v) . ":$v,"; }

sub sqlite
{
	my ($sql) = @_;
	my ($rc, $out, $err) = run_cmd([ 'sqlite3', $db, $sql ]);
	die "sqlite3 $sql: $err" if $rc;
	chomp $out;
	return $out;
}

$f->start;
$f->wait_control or BAIL_OUT('ferryd did not serve its control socket');
for my $cmd ([ 'show', 'version' ], [ 'show', 'flows' ], [ 'pause', 'flow', 'A->B' ],
	[ 'resume', 'flow', 'A->B' ], [ 'show', 'config' ], [ 'show', 'nosuch' ])
{
	$f->ferry(@$cmd);
}

# (a)
my $r = result('show', 'audit', '100');
my @cols = @{ $r->{columns} // [] };
is_deeply([ @cols[ -2, -1 ] ], [ 'prev hash', 'hash' ], 'show audit ends with prev hash, hash');
my @rows = map { my %h; @h{@cols} = @$_; \%h } @{ $r->{rows} // [] };
cmp_ok(scalar @rows, '>=', 5, scalar(@rows) . ' entries');
is($rows[0]{id}, 1, 'from id 1');
is($rows[0]{'prev hash'}, '0' x 64, 'the first entry follows 64 zeros');
my ($chained, $hashed) = (1, 1);
for my $i (0 .. $#rows)
{
	my $e = $rows[$i];
	$chained = 0 if $i > 0 && $e->{'prev hash'} ne $rows[ $i - 1 ]{hash};
	# the ms timestamp is not shown (time is to the ms): read it from the store
	my $ts = sqlite("SELECT ts_ms FROM audit WHERE id = $e->{id}");
	my $want = sha256_hex(join '', map { enc($_) } $e->{'prev hash'}, $e->{id}, $ts,
		@$e{qw(who role origin action result detail)});
	$hashed = 0, diag("id $e->{id}: $want != $e->{hash}") if $want ne $e->{hash};
}
ok($chained, 'each entry follows the hash before it');
ok($hashed, 'every hash is SHA-256 over the encoded fields (recomputed here)');

# the verify is audited once answered, and ferryd may audit by itself
# meanwhile: the walk saw at least what was there before it, at most after
my $before = sqlite('SELECT MAX(id) FROM audit');
my $v = verify();
my $after = sqlite('SELECT MAX(id) FROM audit');
is($v->{result}, 'ok', 'audit verify: ok');
is($v->{'first id'}, 1, 'first id 1');
ok($v->{'last id'} >= $before && $v->{'last id'} <= $after,
	"last id $v->{'last id'} the newest when it ran ($before..$after)");
is($v->{checked}, $v->{'last id'}, 'checked every entry');
ok(!defined $v->{problem}, 'no problem');
my $n = $v->{checked};

# (b)
my ($rc, $out) = offline();
is($rc, 0, '--verify-audit beside a running ferryd: exit 0');
like($out, qr/audit trail ok: \d+ entries checked, ids 1 to \d+$/m, '... and says ok');
is($f->stop, 0, 'ferryd stopped');
($rc, $out) = offline();
is($rc, 0, '--verify-audit of a stopped ferryd: exit 0') or diag($out);

$f->start;
$f->wait_control or BAIL_OUT('ferryd did not restart');
$f->ferry('show', 'flows');
$v = verify();
is($v->{result}, 'ok', 'after a restart the chain goes on: ok');
cmp_ok($v->{checked}, '>', $n, 'with the new entries');
is($f->stop, 0, 'ferryd stopped');

# (c)
my $orig = sqlite('SELECT action FROM audit WHERE id = 3');
sqlite("UPDATE audit SET action = 'show version' WHERE id = 3");
($rc, $out) = offline();
is($rc, 3, 'an edited entry: --verify-audit exits 3');
like($out, qr/audit trail broken: .*hash mismatch: id 3 \(the entry was changed after it was written\)/,
	'... naming id 3 and a hash mismatch');
$f->start;
$f->wait_control or BAIL_OUT('ferryd did not restart');
$v = verify();
is($v->{result}, 'broken', 'audit verify: broken');
is($v->{problem}, 'hash mismatch: id 3 (the entry was changed after it was written)',
	'audit verify names id 3, edited');
is($f->stop, 0, 'ferryd stopped');

# (d)
$orig =~ s/'/''/g;
sqlite("UPDATE audit SET action = '$orig' WHERE id = 3");
($rc, $out) = offline();
is($rc, 0, 'restored: ok again') or diag($out);
sqlite('DELETE FROM audit WHERE id = 4');
$f->start;
$f->wait_control or BAIL_OUT('ferryd did not restart');
$v = verify();
is($v->{result}, 'broken', 'a deleted entry: broken');
is($v->{problem}, 'gap: id 4 missing (deleted)', 'audit verify names id 4, missing');
is($f->stop, 0, 'ferryd stopped');
($rc, $out) = offline();
is($rc, 3, '--verify-audit: exit 3');
like($out, qr/gap: id 4 missing \(deleted\)/, '... naming id 4');

done_testing();
