# 002_layout.pl — the source layout holds: lib/ (shared by ferryd, the
# ferry shell and the PostgreSQL extension to come) depends on no other
# folder, nothing includes across folders by "../", and the built `ferry`
# shell links lib/ only: no symbol of the daemon, no librdkafka, SQLite or
# libsystemd. No Kafka here.
use strict;
use warnings FATAL => 'all';

use File::Spec;
use Test::More;

use Ferry::Test::Utils;

my $root = Ferry::Test::Utils::repo_root();
my $build = build_dir();

# "path:line: #include "x"" for every quoted include of FILES
sub quoted_includes
{
	my (@files) = @_;
	my @inc;
	for my $f (@files)
	{
		my $n = 0;
		for my $line (split /\n/, slurp($f))
		{
			$n++;
			push @inc, [ "$f:$n", $1 ] if $line =~ /^\s*#\s*include\s+"([^"]+)"/;
		}
	}
	return @inc;
}

my @lib = glob("$root/lib/*.[ch]");
ok(scalar(@lib) >= 8, 'lib/ holds the shared sources');
my @bad = grep { $_->[1] !~ m{^lib/[a-z_]+\.h$} } quoted_includes(@lib);
is_deeply([ map { "$_->[0]: $_->[1]" } @bad ], [], 'lib/ includes only lib/ headers');

my @shell = glob("$root/shell/*.[ch]");
@bad = grep { $_->[1] !~ m{^lib/} } quoted_includes(@shell);
is_deeply([ map { "$_->[0]: $_->[1]" } @bad ], [], 'shell/ includes only lib/ headers');

my @all = map { glob("$root/$_/*.[ch]") } qw(lib appliance appliance/* shell acl regress/unit regress/tools);
@bad = grep { $_->[1] =~ m{\.\./} } quoted_includes(@all);
is_deeply([ map { "$_->[0]: $_->[1]" } @bad ], [],
	  'no include climbs out of its folder ("../"): other folders are named from the root');

# appliance/ is the data flow in folders: each one is in the source tree of
# docs/architecture.md, where a newcomer looks for it
my $arch = slurp("$root/docs/architecture.md");
my @stages = map { m{/([a-z]+)/?$} ? $1 : () } grep { -d } glob("$root/appliance/*");
ok(scalar(@stages) >= 6, 'appliance/ has one folder per stage') or diag("@stages");
is_deeply([ grep { $arch !~ /^  \Q$_\E\/\s/m } @stages ], [],
	  'every appliance/ folder is described in docs/architecture.md');

# the shell's binary: nothing of the daemon in it
my $ferry = File::Spec->catfile($build, 'ferry');
my $libferry = File::Spec->catfile($build, 'libferry.a');
ok(-x $ferry && -f $libferry, "ferry and libferry.a are built in $build");

my %daemon;
for (split /\n/, `nm --defined-only '$libferry' 2>/dev/null`)
{
	$daemon{$1} = 1 if /^[0-9a-f]+ [TDRB] (\S+)$/;
}
ok(scalar(keys %daemon) > 100, 'libferry.a defines the daemon\'s symbols');
my @in_shell = grep { $daemon{$_} } map { /^[0-9a-f]+ [TDRB] (\S+)$/ ? $1 : () }
	split /\n/, `nm --defined-only '$ferry' 2>/dev/null`;
is_deeply(\@in_shell, [], 'ferry holds no symbol of libferry.a');

my $ldd = `ldd '$ferry' 2>&1`;
unlike($ldd, qr/librdkafka|libsqlite3|libsystemd|libmicrohttpd|libpcre2/,
       'ferry needs none of the daemon\'s libraries') or diag($ldd);
like($ldd, qr/libedit/, 'ferry links libedit');

# the PostgreSQL extension: lib/'s framing and PostgreSQL's headers only,
# never the daemon or librdkafka
my @pgext = glob("$root/pgext/*.[ch]");
SKIP:
{
	skip 'no pgext/', 3 unless @pgext;
	# (PostgreSQL's own headers, lib/stringinfo.h among them, are not ours)
	@bad = grep { $_->[1] !~ m{^(lib/frame\.h|pgext/[a-z_]+\.h)$} && -e "$root/$_->[1]" }
	  quoted_includes(@pgext);
	is_deeply([ map { "$_->[0]: $_->[1]" } @bad ], [],
		'pgext/ includes of this tree are lib/frame.h and its own headers only');
	my $so = File::Spec->catfile($build, 'pgext', 'ferry.so');
	skip "$so is not built (no pg_config)", 2 unless -f $so;
	my $soldd = `ldd '$so' 2>&1`;
	unlike($soldd, qr/librdkafka|libsqlite3|libsystemd|libmicrohttpd/,
		'ferry.so needs none of the daemon\'s libraries') or diag($soldd);
	my @so_daemon = grep { $daemon{$_} && !/^frame_/ } map { /^[0-9a-f]+ [TDRB] (\S+)$/ ? $1 : () }
	  split /\n/, `nm --defined-only '$so' 2>/dev/null`;
	is_deeply(\@so_daemon, [], 'ferry.so holds no symbol of libferry.a');
}

done_testing();
