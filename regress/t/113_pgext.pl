# 113_pgext: the PostgreSQL extension (pgext/, ferry(7)) in a throw-away
# PostgreSQL 15 cluster (Ferry::Test::Pg) against a real ferryd mirroring
# A->B between real Kafka clusters.
#
# - pg_regress (pgext/sql-tests/ext_*.sql, pgext/expected/): arguments
#   refused before anything is sent, ferryd unreachable, unknown flow,
#   the settings' privileges, nothing for PUBLIC, reading for pg_monitor,
#   no role, nothing changed by a pg_monitor member.
# - every function returns what the `ferry` shell shows for the same moment
#   (the flow drained and paused; values that still move, such as the
#   heartbeats' count, are compared when the shell shows the same before
#   and after the SQL call);
# - translate_offset and translate_group agree with MM2's own
#   RemoteClusterUtils reading ferry's checkpoints on B;
# - audit_log pages through more than one page of the trail, and past
#   entries too long for a page of 1000 in one frame;
# - ferryd refusing the server's OS user (no role) is a permission error;
# - the upgrade path: each ferry--X--Y.sql gives the objects of a fresh
#   install (with none, 1.0 is the only version);
# - ferryd SIGSTOPped: a call ends with the documented error within
#   ferry.timeout_ms (and statement_timeout), pg_cancel_backend ends a
#   waiting call at once, no backend crashes, no fd is left open.
use strict;
use warnings FATAL => 'all';

use File::Path ();
use IPC::Run ();
use JSON::PP;
use Test::More;
use Time::HiRes ();
use Time::Local ();

use Ferry::Test::Certs;
use Ferry::Test::Ferryd;
use Ferry::Test::Kafka;
use Ferry::Test::Mirror;
use Ferry::Test::Pg;
use Ferry::Test::Utils;

plan skip_all => 'PostgreSQL 15 is not installed (make deps)' unless Ferry::Test::Pg::available();

my $root = repo_root();

# --- PostgreSQL first: it is quick, and ferryd's socket goes in its dir ---
my $pg = Ferry::Test::Pg->new(name => 'pg');
my $sock = $pg->shared_dir . '/ferry.sock';
my $nobody_sock = $pg->shared_dir . '/ferry-norole.sock';
$pg->append_conf("ferry.control_socket = '$sock'\n");
$pg->start;

# --- Kafka and ferryd ---
my ($A, $B) = Ferry::Test::Kafka->start_clusters('A', 'B');
$A->create_topic('orders', 3);
$A->produce('orders', count => 3000);
$A->create_topic('quiet', 1);    # mirrored, never written: nothing to translate
my %commit = (0 => 111, 1 => 1000, 2 => 987);
$A->group_commit('billing', 'orders', $_, $commit{$_}) for sort keys %commit;

# the server's OS user may connect (group) and is an auditor in ferryd, as
# is the client certificate (CN=ferry) on the TLS listener; the key
# material where the server's user can read it
my $group = getgrgid($pg->os_gid) // $pg->os_gid;
my $cdir = $pg->shared_dir . '/certs';
File::Path::make_path($cdir);
my $certs = Ferry::Test::Certs::make_certs($cdir);
chmod(0755, $cdir);
chmod(0644, glob("$cdir/*"));
my $tls_port = free_port();
my $f = Ferry::Test::Ferryd->new(
	name => 'f',
	config => mm2_config(
		clusters => { A => $A, B => $B },
		flows => ['A->B'],
		extra => "ferry.control.socket = $sock\n"
		  . "ferry.control.group = $group\n"
		  . 'ferry.control.role.auditor = uid:' . $pg->os_uid . ", cert:CN=ferry;\n"
		  . "ferry.control.tls.listen = 127.0.0.1:$tls_port\n"
		  . "ferry.control.tls.cert = $certs->{broker_keystore}\n"
		  . "ferry.control.tls.key = $certs->{broker_keystore}\n"
		  . "ferry.control.tls.ca = $certs->{ca}\n"
		  . "refresh.topics.interval.seconds = 1\n"
		  . "emit.checkpoints.interval.seconds = 1\n"
		  . "emit.heartbeats.interval.seconds = 1\n"
		  . "ferry.positions.flush.interval.ms = 200\n"
		  . "ferry.placement.rules = all\n"
		  . "ferry.placement.all.topics = .*\n"
		  . "ferry.placement.all.require = region=eu\n"
		  . "ferry.placement.all.category = orders\n"
		  . "ferry.placement.all.basis = contract\n"
		  . "A.ferry.labels = region=eu\n"
		  . "B.ferry.labels = region=eu\n"));
$f->start;
$f->wait_control or BAIL_OUT('ferryd did not serve its control socket: ' . $f->log);
ok(wait_count($B, 'A.orders', 3000, 120), 'A->B mirrors orders');

my $ferry = build_dir() . '/ferry';

# shell(ARGV...) -> { columns => [...], rows => [[...]] } of `ferry ARGV | json`
sub shell
{
	my (@argv) = @_;
	my ($rc, $out, $err) = $f->ferry(@argv, '|', 'json');
	die "ferry @argv: exit $rc: $err" if $rc != 0;
	my $j = decode_json($out);
	return $j->{result} // { columns => [], rows => [] };
}

# sql(QUERY, %opts) -> rows (array refs, NULL as undef); dies on an error
my ($FS, $RS) = ("\x1f", "\x1e");
sub sql_full
{
	my ($q, %o) = @_;
	return $pg->psql_full($q, %o, opts => [ '-F', $FS, '-R', $RS, '-P', 'null=<NULL>' ]);
}

sub sql
{
	my ($q, %o) = @_;
	my ($rc, $out, $err) = sql_full($q, %o);
	die "psql: $q: exit $rc: $err" if $rc != 0;
	$out =~ s/\n\z//;
	return [ map { [ map { $_ eq '<NULL>' ? undef : $_ } split /$FS/, $_, -1 ] } grep { length } split /$RS/, $out ];
}

# a cell normalised by KIND: n number, t time (epoch ms), b yes/no/t/f,
# r retention (a number or unknown), s text
sub norm
{
	my ($v, $kind) = @_;
	return undef unless defined $v;
	if ($kind eq 't')
	{
		return undef if $v eq '';
		my ($y, $mo, $d, $h, $mi, $s, $frac, $z) =
		  $v =~ /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d(?::?\d\d)?)?$/
		  or return "bad time $v";
		my $ms = Time::Local::timegm($s, $mi, $h, $d, $mo - 1, $y) * 1000 + int(substr(($frac // '') . '000', 0, 3));
		if (defined $z && $z ne 'Z')
		{
			my ($sign, $zh, $zm) = $z =~ /^([+-])(\d\d):?(\d\d)?$/;
			my $off = ($zh * 60 + ($zm // 0)) * 60000;
			$ms -= $sign eq '+' ? $off : -$off;
		}
		return $ms;
	}
	return ($v =~ /^(t|true|yes)$/ ? 1 : 0) if $kind eq 'b';
	return ($v =~ /^-?\d+$/ ? $v + 0 : undef) if $kind eq 'r';
	return $v eq '' ? undef : $v + 0 if $kind eq 'n';
	return $v;
}

# the shell's rows as the SQL columns of MAP ([sql column, reply column, kind])
sub shell_as
{
	my ($map, @argv) = @_;
	my $r = shell(@argv);
	my %at;
	@at{ @{ $r->{columns} } } = 0 .. $#{ $r->{columns} };
	for my $m (@$map)
	{
		my ($c) = grep { $_ eq $m->[1] || ($m->[1] =~ /\*$/ && index($_, substr($m->[1], 0, -1)) == 0) }
		  @{ $r->{columns} };
		die "`ferry @argv` has no column $m->[1]: @{ $r->{columns} }" unless defined $c;
		$m->[3] = $at{$c};
	}
	return [ map { my $row = $_; [ map { norm($row->[ $_->[3] ], $_->[2]) } @$map ] } @{ $r->{rows} } ];
}

sub sql_as
{
	my ($map, $from, %o) = @_;
	my $cols = join(', ', map { qq("$_->[0]") } @$map);
	return [ map { my $row = $_; [ map { norm($row->[$_], $map->[$_][2]) } 0 .. $#$map ] } @{ sql("SELECT $cols FROM $from", %o) } ];
}

# agree(NAME, SQL FROM, MAP, SHELL ARGV...): the SQL rows are the shell's
# at a moment when the shell shows the same before and after the query
# (ROWS_OK: a filter of the rows to compare)
sub agree
{
	my ($name, $from, $map, @argv) = @_;
	my $keep = ref $argv[0] eq 'CODE' ? shift @argv : sub { 1 };
	my ($before, $rows, $after);
	for (1 .. 30)
	{
		$before = [ grep { $keep->($_) } @{ shell_as($map, @argv) } ];
		$rows = [ grep { $keep->($_) } @{ sql_as($map, $from) } ];
		$after = [ grep { $keep->($_) } @{ shell_as($map, @argv) } ];
		last if Test::More::_deep_check($before, $after) && Test::More::_deep_check($rows, $before);
		Time::HiRes::sleep(0.1);
	}
	ok(scalar(@$before) > 0, "$name: the shell shows rows (`ferry @argv`)");
	is_deeply($rows, $before, "$name returns what `ferry @argv` shows")
	  or diag(explain({ sql => $rows, shell => $before }));
	return $rows;
}

$pg->psql('CREATE EXTENSION ferry');

# --- pg_regress: arguments, errors, privileges (pgext/sql-tests/ext_*.sql) ---
{
	# pg_regress reads INPUTDIR/sql and INPUTDIR/expected: link both
	my $in = tmp_dir('regress_in');
	symlink("$root/pgext/sql-tests", "$in/sql") or die "symlink: $!";
	symlink("$root/pgext/expected", "$in/expected") or die "symlink: $!";
	my @tests = map { m{/(ext_[\w-]+)\.sql$} ? $1 : () } sort glob("$root/pgext/sql-tests/ext_*.sql");
	ok(scalar(@tests) >= 2, "pg_regress tests found: @tests");
	my ($rc, $out, $err, $diffs) = $pg->pg_regress(inputdir => $in, tests => \@tests,
		dbname => 'ferry_regress');
	is($rc, 0, 'pg_regress passes') or diag("$out$err$diffs");
}

# --- the flow drained, its checkpoints emitted, then paused ---
ok(poll_until(sub { $f->lag('A->B') == 0 }, 120, 'lag 0'), 'A->B is drained');
# RemoteClusterUtils (MM2's client library) reads ferry's checkpoints on B
my $jdir = tmp_dir('java');
my $cp = kafka_libs() . '/*';
my ($rc, $out, $err) = run_cmd([ 'javac', '-d', $jdir, '-cp', $cp, "$root/regress/java/Rcu.java" ]);
is($rc, 0, 'compile the RemoteClusterUtils probe') or diag($err);
my @rcu = ('java', '-cp', "$jdir:$cp", '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', 'Rcu', $B->bootstrap);
my %mm2;
ok(poll_until(sub {
			my (undef, $o) = run_cmd([ @rcu, 'translate', 'A', 'billing' ]);
			%mm2 = map { my ($t, $p, $off) = split; ($t eq 'A.orders' ? ($p => $off) : ()) } split /\n/, $o;
			keys(%mm2) == 3;
		}, 90, 'the checkpoints of billing'), 'RemoteClusterUtils translates billing from ferry\'s checkpoints');
# placement is shown for running flows: before the pause
my @placement_map = (
	[ 'topic', 'topic', 's' ], [ 'cluster', 'cluster', 's' ], [ 'holds', 'holds', 's' ],
	[ 'labels', 'labels', 's' ], [ 'rule', 'rules', 's' ], [ 'category', 'category', 's' ],
	[ 'basis', 'basis', 's' ], [ 'retention_ms', 'retention.ms', 'r' ],
	[ 'allowed', 'allowed', 'b' ], [ 'held_back', 'held back', 'n' ], [ 'flow', 'flow', 's' ]);
agree('ferry.placement', 'ferry.placement', \@placement_map, 'show', 'placement');

agree("ferry.placement_check('orders', 'B')", "ferry.placement_check('orders', 'B')",
	[ [ 'rule', 'rule', 's' ], [ 'topics', 'topics', 's' ], [ 'requires', 'requires', 's' ],
		[ 'category', 'category', 's' ], [ 'basis', 'basis', 's' ], [ 'met', 'met by *', 's' ] ],
	'placement', 'check', 'orders', 'B');
($rc, $out, $err) = $f->ferry('pause', 'flow', 'A->B');
is($rc, 0, 'pause flow A->B') or diag($err);

# --- every function as the shell shows it ---
my @flows_map = (
	[ 'flow', 'flow', 's' ], [ 'source', 'source', 's' ], [ 'target', 'target', 's' ],
	[ 'state', 'state', 's' ], [ 'reason', 'reason', 's' ], [ 'topics', 'topics', 'n' ],
	[ 'partitions', 'partitions', 'n' ], [ 'records', 'records', 'n' ], [ 'bytes', 'bytes', 'n' ],
	[ 'lag_records', 'lag', 'n' ], [ 'replication_latency_ms', 'latency ms', 'n' ]);
my $fl = agree('ferry.flows', 'ferry.flows', \@flows_map, 'show', 'flows');
is($fl->[0][0], 'A->B', 'the flow is A->B');
agree('ferry.flows()', 'ferry.flows()', \@flows_map, 'show', 'flows');

my @lag_map = (
	[ 'flow', 'flow', 's' ], [ 'topic', 'topic', 's' ], [ 'partition', 'partition', 'n' ],
	[ 'end_offset', 'end offset', 'n' ], [ 'position', 'position', 'n' ],
	[ 'lag_records', 'lag', 'n' ], [ 'lag_seconds', 'lag seconds', 'n' ]);
# the heartbeats topic grows all the time, paused or not: the other rows
my $still = sub { $_[0][1] ne 'heartbeats' };
agree('ferry.lag', 'ferry.lag', \@lag_map, $still, 'show', 'lag');
my $lag = agree("ferry.lag('A->B')", "ferry.lag('A->B')", \@lag_map, $still, 'show', 'lag', 'A->B');
is(scalar(grep { $_->[1] eq 'orders' } @$lag), 3, 'lag: the three partitions of orders');

my @topics_map = (
	[ 'flow', 'flow', 's' ], [ 'topic', 'topic', 's' ], [ 'remote_topic', 'remote topic', 's' ],
	[ 'partitions', 'partitions', 'n' ], [ 'state', 'state', 's' ]);
agree('ferry.topics', 'ferry.topics', \@topics_map, 'show', 'topics');
agree("ferry.topics('A->B')", "ferry.topics('A->B')", \@topics_map, 'show', 'topics', 'A->B');

my @syncs_map = ([ 'upstream', 'upstream', 'n' ], [ 'downstream', 'downstream', 'n' ],
	[ 'recorded_at', 'recorded at', 't' ]);
agree("ferry.offset_map('A->B', 'orders', $_)", "ferry.offset_map('A->B', 'orders', $_)", \@syncs_map,
	'show', 'offset-syncs', 'A->B', 'orders', $_)
  for 0 .. 2;

my @ckpt_map = (
	[ 'flow', 'flow', 's' ], [ 'grp', 'group', 's' ], [ 'topic', 'topic', 's' ],
	[ 'remote_topic', 'remote topic', 's' ], [ 'partition', 'partition', 'n' ],
	[ 'upstream', 'upstream', 'n' ], [ 'downstream', 'downstream', 'n' ],
	[ 'emitted_at', 'emitted at', 't' ]);
agree('ferry.checkpoints', 'ferry.checkpoints', \@ckpt_map, 'show', 'checkpoints');
my $ck = agree("ferry.checkpoints('billing')", "ferry.checkpoints('billing')", \@ckpt_map,
	'show', 'checkpoints', 'billing');
is(scalar(@$ck), 3, 'a checkpoint per partition of billing');

agree('ferry.heartbeats', 'ferry.heartbeats',
	[ [ 'source', 'source', 's' ], [ 'target', 'target', 's' ], [ 'topic', 'topic', 's' ],
		[ 'sent', 'sent', 'n' ], [ 'last_sent', 'last sent', 't' ] ],
	'show', 'heartbeats');

my @transfers_map = (
	[ 'day', 'day', 's' ], [ 'flow', 'flow', 's' ], [ 'topic', 'topic', 's' ],
	[ 'partition', 'partition', 'n' ], [ 'records', 'records', 'n' ], [ 'bytes', 'bytes', 'n' ],
	[ 'first_offset', 'first offset', 'n' ], [ 'last_offset', 'last offset', 'n' ],
	[ 'first_ts', 'first timestamp', 't' ], [ 'last_ts', 'last timestamp', 't' ],
	[ 'rule', 'rule', 's' ], [ 'category', 'category', 's' ], [ 'held_back', 'held back', 'n' ]);
agree('ferry.transfers', 'ferry.transfers', \@transfers_map, 'show', 'transfers');
my $today = sql("SELECT current_date")->[0][0];
agree("ferry.transfers('$today')", "ferry.transfers('$today')", \@transfers_map,
	'show', 'transfers', '--since', $today);

# --- translation: ferryd's and MM2's ---
my @tg_map = (
	[ 'topic', 'topic', 's' ], [ 'remote_topic', 'remote topic', 's' ],
	[ 'partition', 'partition', 'n' ], [ 'source_offset', 'source offset', 'n' ],
	[ 'target_offset', 'target offset', 'n' ], [ 'result', 'result', 's' ]);
my $tg = agree("ferry.translate_group('A->B', 'billing')", "ferry.translate_group('A->B', 'billing')",
	\@tg_map, 'translate', 'group', 'A->B', 'billing');
my %sqlt = map { ($_->[2] => $_->[4]) } grep { $_->[0] eq 'orders' } @$tg;
is_deeply(\%sqlt, \%mm2, 'translate_group: where billing resumes on B, as RemoteClusterUtils says')
  or diag(explain({ sql => \%sqlt, mm2 => \%mm2 }));
for my $p (sort keys %commit)
{
	my $r = sql("SELECT ferry.translate_offset('A->B', 'orders', $p, $commit{$p})");
	is($r->[0][0], $mm2{$p}, "translate_offset of billing's offset $commit{$p} in orders[$p] is MM2's");
	my $s = shell('translate', 'offset', 'A->B', 'orders', $p, $commit{$p});
	is($r->[0][0], $s->{rows}[0][4], "and `ferry translate offset` says the same");
}
{
	# a partition nothing was mirrored from: NULL and a notice
	my $s = shell('translate', 'offset', 'A->B', 'quiet', 0, 5);
	ok(!defined $s->{rows}[0][4], 'the shell translates nothing of an empty partition')
	  or diag(explain($s));
	my ($rc2, $o, $e) = sql_full("SELECT ferry.translate_offset('A->B', 'quiet', 0, 5)");
	is($rc2, 0, 'translate_offset of an empty partition succeeds') or diag($e);
	like($o, qr/^<NULL>$RS?\n?\z/, 'with NULL');
	like($e, qr/NOTICE:  offset 5 of quiet\[0\] in flow A->B cannot be translated exactly: \Q$s->{rows}[0][5]\E/,
		'and a notice with ferryd\'s reason');
}

# --- the audit trail, page by page ---
{
	# more than a page (1000) of entries: a script of read commands
	my ($rc2, undef, $e) = $f->ferry({ stdin => "show version\n" x 1100 });
	is($rc2, 0, 'ferry ran 1100 commands') or diag($e);
	my @amap = (
		[ 'id', 'id', 'n' ], [ 'ts', 'time', 't' ], [ 'who', 'who', 's' ], [ 'role', 'role', 's' ],
		[ 'origin', 'origin', 's' ], [ 'action', 'action', 's' ], [ 'result', 'result', 's' ],
		[ 'detail', 'detail', 's' ], [ 'prev_hash', 'prev hash', 's' ], [ 'hash', 'hash', 's' ]);
	my $rows = sql_as(\@amap, 'ferry.audit_log');
	ok(scalar(@$rows) > 1100, 'audit_log reads past the first page: ' . scalar(@$rows) . ' entries');
	# the shell's newest 10000, taken after: every SQL row is there (its own
	# calls come later)
	my $all = shell_as(\@amap, 'show', 'audit', 10000);
	my @head = @$all[ 0 .. $#$rows ];
	is_deeply($rows, \@head, 'audit_log is the trail `ferry show audit` shows, oldest first');
	my @ids = map { $_->[0] } @$rows;
	is_deeply(\@ids, [ sort { $a <=> $b } @ids ], 'in id order');
	my $since_ms = $rows->[-5][1];
	my $since = sql("SELECT to_timestamp($since_ms / 1000.0)")->[0][0];
	my $part = sql_as(\@amap, "ferry.audit_log('$since')");
	my @exp = grep { $_->[1] >= $since_ms } @$rows;
	is_deeply([ @$part[ 0 .. $#exp ] ], \@exp, 'audit_log(since) starts at that time');

	# entries of ~1.5 KB (a refused `commit TEXT` is audited whole): a
	# page of 1000 is over the 1 MiB frame, which ferryd refuses
	# (too_large); audit_log asks again with fewer and reads on
	my $long = 'x' x 1500;
	$f->ferry({ stdin => join('', map { "commit $_$long\n" } 1 .. 1000) });
	my ($rc3, undef, $e3) = $f->ferry('show', 'audit', 1000);
	isnt($rc3, 0, 'a page of 1000 long entries is over the frame limit');
	like($e3, qr/1 MiB frame limit/, '... in ferryd\'s words') or diag($e3);
	$rows = sql_as(\@amap, 'ferry.audit_log');
	@ids = map { $_->[0] } @$rows;
	is_deeply(\@ids, [ 1 .. scalar(@ids) ], 'audit_log reads the whole trail past the long entries, '
		  . 'every id once, in order: ' . scalar(@ids));
	is(scalar(grep { $_->[5] =~ /^commit \d+$long$/ } @$rows), 1000,
		'with the 1000 long entries whole');
}

# --- over TLS, with a client certificate ---
{
	my $set = "SET ferry.control_tls_address = '127.0.0.1:$tls_port'; "
	  . "SET ferry.control_tls_cert = '$certs->{client_pem}'; SET ferry.control_tls_ca = '$certs->{ca}'; ";
	is_deeply(sql("${set}SELECT flow, source, target FROM ferry.flows"), [ [ 'A->B', 'A', 'B' ] ],
		'ferry.flows over TLS with a client certificate');
	my $a = shell('show', 'audit', 5);
	ok((grep { $_->[2] eq 'cert:CN=ferry' && $_->[4] eq 'tls' && $_->[5] eq 'show flows' } @{ $a->{rows} }),
		'ferryd audited the call as the certificate, over TLS')
	  or diag(explain($a->{rows}));
	my ($rc2, undef, $e) = sql_full("${set}SET ferry.control_tls_ca = '$certs->{broker_crt}'; SELECT * FROM ferry.flows");
	isnt($rc2, 0, 'a CA that did not sign ferryd\'s certificate: an error');
	like($e, qr/ERROR:  ferryd is unreachable at 127\.0\.0\.1:$tls_port\nDETAIL:  .*certificate/,
		'saying ferryd\'s certificate is not trusted');
}

# --- ferryd refuses the server's OS user: a permission error ---
{
	my $g = Ferry::Test::Ferryd->new(
		name => 'norole',
		config => mm2_config(
			clusters => { A => $A, B => $B },
			extra => "ferry.control.socket = $nobody_sock\nferry.control.group = $group\n"));
	$g->start;
	$g->wait_control or diag($g->log);
	my ($rc2, undef, $e) = sql_full("SET ferry.control_socket = '$nobody_sock'; SELECT * FROM ferry.flows");
	isnt($rc2, 0, 'a server without a role in ferryd is refused');
	like($e, qr/ERROR:  ferryd refused `show flows`: permission denied.*HINT:  .*ferry\.control\.role\.auditor/s,
		'as a permission error naming ferry.control.role.auditor');
	is($g->stop, 0, 'that ferryd stops');
}

# --- the upgrade path ---
{
	my @ups = map { m{/ferry--([\d.]+)--([\d.]+)\.sql$} ? [ $1, $2 ] : () } glob("$root/pgext/ferry--*--*.sql");
	my ($default) = slurp("$root/pgext/ferry.control") =~ /^default_version\s*=\s*'([^']+)'/m;
	my $versions = sql("SELECT version FROM pg_available_extension_versions WHERE name = 'ferry' ORDER BY 1");
	if (!@ups)
	{
		is_deeply($versions, [ [$default] ], "no upgrade scripts: $default is the only version");
	}
	# every member object with its privileges (and a function's definition)
	my $objects = q{SELECT pg_describe_object(d.classid, d.objid, d.objsubid),
	    coalesce(p.proacl::text || ' ' || pg_get_functiondef(p.oid), c.relacl::text, n.nspacl::text)
	  FROM pg_depend d
	  LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
	  LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
	  LEFT JOIN pg_namespace n ON d.classid = 'pg_namespace'::regclass AND n.oid = d.objid
	  WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
	  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ferry') ORDER BY 1};
	my $fresh = sql($objects);
	ok((grep { $_->[0] eq 'function ferry.flows()' && $_->[1] =~ /pg_monitor=X/ } @$fresh),
		'the listing of the extension\'s objects shows ferry.flows() and its grant')
	  or diag(explain($fresh));
	for my $u (@ups)
	{
		my ($from, $to) = @$u;
		$pg->psql("CREATE DATABASE up_$$; ");
		$pg->psql("CREATE EXTENSION ferry VERSION '$from'; ALTER EXTENSION ferry UPDATE TO '$to'",
			dbname => "up_$$");
		my $up = sql($objects, dbname => "up_$$");
		$pg->psql("DROP DATABASE up_$$; CREATE DATABASE up_$$");
		$pg->psql("CREATE EXTENSION ferry VERSION '$to'", dbname => "up_$$");
		is_deeply($up, sql($objects, dbname => "up_$$"), "ferry $from -> $to has the objects of $to");
		$pg->psql("DROP DATABASE up_$$");
	}
}

# --- ferryd stopped: timeouts, cancel, no crash, no leaked fd ---
# open files of a process, and how many of them are sockets
sub fds
{
	my ($pid, $only_sockets) = @_;
	opendir(my $d, "/proc/$pid/fd") or die "/proc/$pid/fd: $!";
	my @f = grep { !/^\./ } readdir($d);
	@f = grep { (readlink("/proc/$pid/fd/$_") // '') =~ /^socket:/ } @f if $only_sockets;
	return scalar @f;
}

# a psql session driven line by line
sub session
{
	my %s = (in => '', out => '', err => '');
	$s{h} = IPC::Run::start(
		[ $pg->bindir . '/psql', '-X', '-A', '-t', '-h', $pg->socket_dir, '-p', $pg->port, '-U', 'postgres',
			'-d', 'postgres' ],
		\$s{in}, \$s{out}, \$s{err});
	return \%s;
}

sub say_wait
{
	my ($s, $line, $re, $timeout) = @_;
	$s->{in} .= "$line\n";
	my $deadline = Time::HiRes::time() + ($timeout // 60);
	while (Time::HiRes::time() < $deadline)
	{
		$s->{h}->pump_nb;
		return 1 if "$s->{out}$s->{err}" =~ $re;
		Time::HiRes::sleep(0.02);
	}
	diag("psql: no $re after: $line\n$s->{out}$s->{err}");
	return 0;
}

{
	my $s = session();
	say_wait($s, 'SELECT pg_backend_pid();', qr/^(\d+)$/m);
	my ($pid) = $s->{out} =~ /^(\d+)$/m;
	$s->{out} = '';
	say_wait($s, 'SELECT count(*) FROM ferry.flows;', qr/^1$/m);
	$s->{out} = '';
	my $fd0 = fds($pid);
	my $sock0 = fds($pid, 1);
	note("backend $pid: $fd0 open files, $sock0 sockets");

	$f->signal('STOP');
	# ferry.timeout_ms
	my $t0 = Time::HiRes::time();
	say_wait($s, "SET ferry.timeout_ms = 1500; SELECT count(*) FROM ferry.flows;", qr/ERROR:/, 30);
	my $took = Time::HiRes::time() - $t0;
	like($s->{err}, qr/ERROR:  ferryd did not answer within 1500 ms\n.*HINT:  .*ferry\.timeout_ms/s,
		'ferryd stopped: the call ends with the documented error');
	ok($took >= 1.4 && $took < 5, sprintf('after ferry.timeout_ms (%.2f s)', $took));
	is(fds($pid), $fd0, 'no file descriptor left open');
	$s->{err} = '';

	# statement_timeout shorter than ferry.timeout_ms bounds the call
	$t0 = Time::HiRes::time();
	say_wait($s, "SET ferry.timeout_ms = 60000; SET statement_timeout = 1000; SELECT count(*) FROM ferry.flows;",
		qr/ERROR:/, 30);
	$took = Time::HiRes::time() - $t0;
	like($s->{err}, qr/ERROR:  (ferryd did not answer within 1000 ms|canceling statement due to statement timeout)/,
		'statement_timeout ends a call that ferry.timeout_ms would let wait');
	ok($took < 4, sprintf('within statement_timeout (%.2f s)', $took));
	is(fds($pid), $fd0, 'no file descriptor left open');
	$s->{err} = '';

	# pg_cancel_backend ends a waiting call at once
	$s->{in} .= "SET statement_timeout = 0; SELECT count(*) FROM ferry.flows;\n";
	ok(poll_until(sub {
				$s->{h}->pump_nb;
				my $r = sql("SELECT wait_event_type FROM pg_stat_activity WHERE pid = $pid");
				($r->[0][0] // '') eq 'Extension';
			}, 30, 'the call to wait'), 'the call waits for ferryd (wait event Extension)');
	is(fds($pid, 1), $sock0 + 1, 'with one more socket open');
	$t0 = Time::HiRes::time();
	sql("SELECT pg_cancel_backend($pid)");
	ok(say_wait($s, '', qr/ERROR:  canceling statement due to user request/, 10), 'pg_cancel_backend ends it');
	$took = Time::HiRes::time() - $t0;
	ok($took < 1, sprintf('at once (%.2f s)', $took));
	is(fds($pid), $fd0, 'no file descriptor left open');
	$f->signal('CONT');

	$s->{out} = '';
	say_wait($s, 'SELECT count(*) FROM ferry.flows;', qr/^1$/m);
	like($s->{out}, qr/^1$/m, 'the same session reads again once ferryd runs');
	$s->{in} .= "\\q\n";
	$s->{h}->finish;
}

# --- ferryd gone ---
{
	is($f->stop, 0, 'ferryd stops');
	my ($rc2, undef, $e) = sql_full('SELECT * FROM ferry.flows');
	isnt($rc2, 0, 'ferryd not running: an error');
	like($e, qr/ERROR:  ferryd is unreachable at \Q$sock\E\n.*DETAIL:  (Nobody listens|No such socket)/s,
		'saying ferryd is unreachable');
}

is_deeply([ $pg->crashes ], [], 'no backend crashed');
is_deeply([ $f->sanitizer_reports ], [], 'no sanitizer reports from ferryd');
is($pg->stop, 0, 'PostgreSQL stops');

done_testing();
