# 050_bad_input: bad configuration gets a clear error naming file:line and
# key, a non-zero exit, and nothing is started (no state store created, no
# connection made). Also: the docs name every configuration key.
use strict;
use warnings FATAL => 'all';

use Test::More;

use Ferry::Test::Ferryd;
use Ferry::Test::Utils;

my $f = Ferry::Test::Ferryd->new(name => 'bad');
my $dir = $f->dir;
my $base = "clusters = A, B\nA.bootstrap.servers = 127.0.0.1:1\nB.bootstrap.servers = 127.0.0.1:2\n";

my @cases = (
	[ 'unknown alias in a flow',
	  $base . "A->C.enabled = true\n",
	  qr/:4: A->C\.enabled: unknown cluster alias "C"; `clusters` lists: A, B/ ],
	[ 'invalid regex',
	  $base . "A->B.enabled = true\nA->B.topics = orders, [unclosed\n",
	  qr/:5: A->B\.topics: invalid regular expression "orders, \[unclosed": missing terminating \]/ ],
	[ 'missing bootstrap servers',
	  "clusters = A, B\nA.bootstrap.servers = 127.0.0.1:1\nA->B.enabled = true\n",
	  qr/: B\.bootstrap\.servers: missing; expected host:port/ ],
	[ 'a password in the sink\'s conninfo',
	  $base . "A->B.enabled = true\nferry.sink.conninfo = host=db1 dbname=h password=s3cret\n",
	  qr/:5: ferry\.sink\.conninfo: a password is not accepted in the connection string .*ferry\.sink\.passfile/ ],
	[ 'a sink conninfo libpq cannot parse',
	  $base . "A->B.enabled = true\nferry.sink.conninfo = host=db1 nosuchkey=1\n",
	  qr/:5: ferry\.sink\.conninfo: not a libpq connection string: invalid connection option "nosuchkey"/ ],
	[ 'sink batch size out of range',
	  $base . "A->B.enabled = true\nferry.sink.batch.size = 0\n",
	  qr/:5: ferry\.sink\.batch\.size: value 0 is out of range; expected 1\.\.100000/ ],
	[ 'malformed boolean',
	  $base . "A->B.enabled = yes\n",
	  qr/:4: A->B\.enabled: expected true or false, got "yes"/ ],
	[ 'number out of range',
	  $base . "A->B.enabled = true\ntasks.max = 100000\n",
	  qr/:5: tasks\.max: value 100000 is out of range; expected 1\.\.256/ ],
	[ 'ACL sync interval out of range',
	  $base . "A->B.enabled = true\nA->B.sync.topic.acls.interval.seconds = 0\n",
	  qr/:5: A->B\.sync\.topic\.acls\.interval\.seconds: value 0 is out of range; expected 1\.\.86400/ ],
	[ 'ACL sync switch not a boolean',
	  $base . "A->B.enabled = true\nsync.topic.acls.enabled = on\n",
	  qr/:5: sync\.topic\.acls\.enabled: expected true or false, got "on"/ ],
	[ 'setting that could lose records',
	  $base . "A->B.enabled = true\nB.producer.acks = 1\n",
	  qr/:5: acks: acks=1 could lose records; ferry requires acks=all/ ],
	[ 'a delivery timeout that would reorder records',
	  $base . "A->B.enabled = true\nA->B.producer.delivery.timeout.ms = 120000\n",
	  qr/:5: delivery\.timeout\.ms: delivery\.timeout\.ms=120000 would reorder records/ ],
	[ "librdkafka's message timeout, spelt for the target cluster",
	  $base . "A->B.enabled = true\nB.producer.message.timeout.ms = 30000\n",
	  qr/:5: message\.timeout\.ms: message\.timeout\.ms=30000 would reorder records/ ],
	[ 'aborted records without ferry.mirror.read.uncommitted',
	  $base . "A->B.enabled = true\nconsumer.isolation.level = read_uncommitted\n",
	  qr/:5: isolation\.level: isolation\.level=read_uncommitted would mirror the records of aborted transactions .* set A->B\.ferry\.mirror\.read\.uncommitted = true/ ],
	[ 'auto.offset.reset=none',
	  $base . "A->B.enabled = true\nA.consumer.auto.offset.reset = none\n",
	  qr/:5: auto\.offset\.reset: auto\.offset\.reset=none is not supported: ferry never resets a saved position/ ],
	[ 'auto.offset.reset neither earliest nor latest',
	  $base . "A->B.enabled = true\nA->B.consumer.auto.offset.reset = smallest\n",
	  qr/:5: auto\.offset\.reset: expected earliest or latest .*got "smallest"/ ],
	[ 'a misspelt flow key (left alone it would mirror every topic)',
	  $base . "A->B.enabled = true\nA->B.topcis = orders\n",
	  qr/:5: A->B\.topcis: unknown flow setting "topcis"; did you mean A->B\.topics\?/ ],
	[ 'a misspelt top-level key',
	  $base . "A->B.enabled = true\ntasks.mx = 2\n",
	  qr/:5: tasks\.mx: unknown setting; did you mean tasks\.max\?/ ],
	[ 'a misspelt cluster key',
	  $base . "A->B.enabled = true\nA.bootstrap.servres = 127.0.0.1:3\n",
	  qr/:5: A\.bootstrap\.servres: unknown cluster setting "bootstrap\.servres"; did you mean A\.bootstrap\.servers\?/ ],
	[ 'a misspelt client key, compared with the keys of its role',
	  $base . "A->B.enabled = true\nA.consumer.fetch.max.bytez = 1048576\n",
	  qr/:5: A\.consumer\.fetch\.max\.bytez: unknown consumer setting "fetch\.max\.bytez"; did you mean A\.consumer\.fetch\.max\.bytes\?/ ],
	[ 'a misspelt client key of a flow',
	  $base . "A->B.enabled = true\nA->B.producer.lingr.ms = 5\n",
	  qr/:5: A->B\.producer\.lingr\.ms: unknown producer setting "lingr\.ms"; did you mean A->B\.producer\.linger\.ms\?/ ],
	[ 'no clusters',
	  "A.bootstrap.servers = x:1\n",
	  qr/: clusters: missing; expected a list of cluster aliases/ ],
);

for my $c (@cases)
{
	my ($name, $text, $re) = @$c;
	my $file = "$dir/case.properties";
	open(my $fh, '>', $file) or die $!;
	print $fh $text;
	close $fh;
	my $state = "$dir/state-" . ($name =~ s/\W+/_/gr);
	my ($rc, $out, $err) = run_cmd([ Ferry::Test::Ferryd::binary(), '--state-dir', $state, $file ],
		timeout => 60);
	is($rc, 78, "$name: exit status 78 (EX_CONFIG)");
	like($err, qr/\Q$file\E$re/, "$name: error names file:line and key")
	  or diag($err);
	like($err, qr/nothing started/, "$name: says nothing was started");
	ok(!-e $state, "$name: no state store created");
	($rc, $out, $err) = $f->check_config($file);
	isnt($rc, 0, "$name: --check-config refuses it too");
}

my ($rc, $out, $err) = run_cmd([ Ferry::Test::Ferryd::binary(), '--state-dir', "$dir/s", "$dir/no-such.properties" ]);
is($rc, 78, 'unreadable file: exit 78');
like($err, qr{no-such\.properties: cannot open: No such file or directory}, 'unreadable file: named, with the reason');
($rc, $out, $err) = run_cmd([ Ferry::Test::Ferryd::binary(), '--state-dir', "$dir/s", $dir ]);
is($rc, 78, 'a directory: exit 78');
like($err, qr{cannot read: Is a directory}, 'a directory: says so');

# warnings do not stop ferryd, and name file:line and key
($rc, $out, $err) = $f->check_config($base . "A->B.enabled = true\nrefresh.groups.enabled = false\nno.such.key = 1\n");
is($rc, 0, 'unsupported and unknown keys are warnings');
like($err, qr/:5: refresh\.groups\.enabled: not supported by ferry yet/, "not-yet key named");
like($err, qr/:6: no\.such\.key: unknown setting, ignored/, 'unknown key named');
unlike($err, qr/did you mean/, 'a key far from every known key gets no suggestion');
like($out, qr/flow A->B/, 'topology still printed');

# command line errors
($rc, $out, $err) = run_cmd([ Ferry::Test::Ferryd::binary() ]);
is($rc, 2, 'no CONFIG: exit 2');
like($err, qr/missing CONFIG argument/, 'says what is missing');
($rc, $out, $err) = run_cmd([ Ferry::Test::Ferryd::binary(), '--log-level', 'loud', 'x' ]);
is($rc, 2, 'bad option value: exit 2');
like($err, qr/--log-level: unknown level "loud"; expected error, warning, info or debug/, 'names option and choices');

# an unusable state directory: clear error, exit 1
my $good = "$dir/good.properties";
open(my $fh, '>', $good) or die $!;
print $fh $base . "A->B.enabled = true\n";
close $fh;
($rc, $out, $err) = run_cmd([ Ferry::Test::Ferryd::binary(), '--state-dir', '/proc/ferry-no', $good ], timeout => 60);
is($rc, 1, 'uncreatable state dir: exit 1');
like($err, qr{cannot create state directory /proc/ferry-no}, 'names the directory');

# the docs name every key ferryd knows
($rc, $out) = run_cmd([ Ferry::Test::Ferryd::binary(), '--list-keys' ]);
is($rc, 0, '--list-keys');
my $man = slurp(repo_root() . '/docs/ferry.conf.5');
$man =~ s/\\-/-/g;
$man =~ s/\\e/\\/g;
my @missing;
for my $line (split /\n/, $out)
{
	my ($key) = split /\t/, $line;
	$key =~ s/\*$//;
	push @missing, $key unless index($man, $key) >= 0;
}
is_deeply(\@missing, [], 'ferry.conf(5) documents every key of --list-keys');

# ferry(1)'s COMMANDS and the man pages' other generated sections: 003_docs.pl

done_testing();
