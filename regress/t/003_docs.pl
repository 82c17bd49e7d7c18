# 003_docs.pl — the generated sections of the man pages are what `make
# docs` writes from the tables as they are now: ferry(1)'s COMMANDS (the
# command table, lib/cmdtab.c), ferry.conf(5)'s key reference (the key
# table, appliance/conf/conf_keys.c) and ferryd(8)'s METRICS (the metric
# registry, appliance/control/metrics.c). Each is regenerated into a copy
# and compared; a difference means a table changed without `make docs`.
# Every page renders without groff warnings. No Kafka here.
use strict;
use warnings FATAL => 'all';

use Test::More;

use Ferry::Test::Utils;

my $root = Ferry::Test::Utils::repo_root();
my $build = build_dir();
my $dir = tmp_dir('docs');

my @gen = (
	[ 'ferry.1', 'COMMANDS', [ "$root/scripts/gen-commands-man.sh", "$build/ferry" ] ],
	[ 'ferry.conf.5', 'KEYS', [ "$root/scripts/gen-man.pl", 'keys', "$build/ferryd" ] ],
	[ 'ferryd.8', 'METRICS', [ "$root/scripts/gen-man.pl", 'metrics', "$build/ferryd" ] ],
);

sub write_file
{
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "$path: $!";
	print $fh $text;
	close $fh or die "$path: $!";
}

for my $g (@gen)
{
	my ($page, $marker, $cmd) = @$g;
	my $committed = slurp("$root/docs/$page");
	my $copy = "$dir/$page";

	# a section emptied by hand comes back whole: the generator rewrites
	# what is between the markers, whatever is there
	my $stale = $committed;
	ok($stale =~ s/^(\.\\" BEGIN $marker\b[^\n]*\n).*?^(\.\\" END $marker\b)/$1$2/ms,
		"$page has BEGIN/END $marker markers");
	isnt($stale, $committed, "$page: the $marker section is not empty");
	write_file($copy, $stale);
	my ($rc, $out, $err) = run_cmd([ @$cmd, $copy ]);
	is($rc, 0, "$page: the $marker section can be generated") or diag($err);
	is(slurp($copy), $committed,
		"$page: the $marker section is as `make docs` writes it from the table (run make docs)");
}

# the key reference names every key ferryd knows
my ($rc, $out) = run_cmd([ "$build/ferryd", '--list-keys' ]);
is($rc, 0, 'ferryd --list-keys');
my ($sec) = slurp("$root/docs/ferry.conf.5") =~ /^\.\\" BEGIN KEYS[^\n]*\n(.*)^\.\\" END KEYS/ms;
$sec =~ s/\\-/-/g;
my @missing = grep { index($sec, $_) < 0 } map { (split /\t/)[0] =~ s/\*$//r } split /\n/, $out;
is_deeply(\@missing, [], 'the generated key reference has an entry for every key');

for my $m (qw(ferryd.8 ferry.conf.5 ferry.1 ferry.7))
{
	my ($rc2, $out2, $err2) = run_cmd([ 'groff', '-man', '-ww', '-z', "$root/docs/$m" ]);
	is($err2, '', "$m renders without warnings");
}

done_testing();
