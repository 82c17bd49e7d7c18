# 001_makefile.pl — the README's commands work the first time on a bare
# machine. A bare machine is played by a pkg-config that cannot answer until
# a fake `deps` has run (a marker file): the Makefile must not ask pkg-config
# before deps (as it did when it read the flags at parse time, leaving the
# link line empty), and when a compile needs flags pkg-config cannot give,
# make must stop saying so and naming `make deps`. No Kafka here: the builds
# go into a temporary directory, and the installed ferryd and ferry run.
use strict;
use warnings FATAL => 'all';

use Cwd ();
use File::Basename ();
use File::Temp ();
use Test::More;

my $root = Cwd::abs_path(File::Basename::dirname(__FILE__) . '/../..');
my $tmp = File::Temp::tempdir('ferry-makefile-XXXXXX', TMPDIR => 1, CLEANUP => 1);

chomp(my $real_pc = `sh -c 'command -v pkg-config'` // '');
die "pkg-config is not installed: run `make deps`\n" if $real_pc eq '';

# this test's make must not inherit the settings or job server of a make
# that runs it (`make check`)
delete @ENV{qw(MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES)};

sub write_script
{
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "$path: $!";
	print $fh $text;
	close($fh) or die "$path: $!";
	chmod(0755, $path) or die "$path: $!";
}

sub slurp
{
	my ($path) = @_;
	open(my $fh, '<', $path) or return '';
	local $/;
	return scalar <$fh>;
}

# One scenario: its own marker, logs and build directory. The wrapper logs
# each call as "ok ARGS" or "refused ARGS".
sub scenario
{
	my ($name) = @_;
	my $d = "$tmp/$name";
	mkdir($d) or die "$d: $!";
	my %s = (dir => $d, marker => "$d/installed", pclog => "$d/pkg-config.log",
		 depslog => "$d/deps.log", pc => "$d/pkg-config", deps => "$d/deps");
	write_script($s{pc}, <<"EOF");
#!/bin/sh
if [ ! -e '$s{marker}' ]; then
	echo "refused \$*" >>'$s{pclog}'
	echo "Package rdkafka was not found in the pkg-config search path (test: not installed yet)" >&2
	exit 1
fi
echo "ok \$*" >>'$s{pclog}'
exec '$real_pc' "\$@"
EOF
	write_script($s{deps}, <<"EOF");
#!/bin/sh
echo "deps \$*" >>'$s{depslog}'
touch '$s{marker}'
EOF
	return \%s;
}

# runs make in the source tree; returns (exit status, output)
sub run_make
{
	my (@args) = @_;
	my $cmd = join(' ', 'make', '-C', quotemeta($root), '-j2', '--no-print-directory',
		       map { quotemeta } @args);
	my $out = `$cmd 2>&1`;
	return ($? >> 8, $out);
}

# ------------------------------------------ make install on a bare machine
{
	my $s = scenario('install');
	my ($rc, $out) = run_make("B=$s->{dir}/build", "PKG_CONFIG=$s->{pc}",
				  "DEPS_CMD=$s->{deps}", "DESTDIR=$s->{dir}/root", 'PREFIX=/usr',
				  'install');
	is($rc, 0, 'make install succeeds the first time on a bare machine')
		or diag($out);
	is(slurp($s->{depslog}), "deps --build\n", 'install ran deps once, for the build packages');
	my $log = slurp($s->{pclog});
	unlike($log, qr/^refused/m, 'pkg-config was never asked before deps had run')
		or diag($log);
	like($log, qr/^ok --libs/m, 'the link flags came from pkg-config after deps');

	my $ferryd = "$s->{dir}/root/usr/sbin/ferryd";
	my $ferry = "$s->{dir}/root/usr/bin/ferry";
	ok(-x $ferryd && -x $ferry, 'ferryd and ferry are installed');
	like(scalar `'$ferryd' --version 2>&1`, qr/^ferryd \d+\.\d+\.\d+ \(librdkafka /,
	     'the installed ferryd links and runs');
	like(scalar `'$ferry' --version 2>&1`, qr/\d+\.\d+\.\d+/, 'the installed ferry links and runs');
	ok(-f "$s->{dir}/root/usr/share/man/man8/ferryd.8"
	   && -f "$s->{dir}/root/usr/lib/systemd/system/ferryd.service",
	   'man pages and the systemd unit are installed');

	# a second install finds everything in place and builds nothing
	my ($rc2, $out2) = run_make("B=$s->{dir}/build", "PKG_CONFIG=$s->{pc}",
				    "DEPS_CMD=$s->{deps}", "DESTDIR=$s->{dir}/root", 'PREFIX=/usr',
				    'install');
	is($rc2, 0, 'a second make install succeeds');
	unlike($out2, qr/\bcc\b.* -c /, 'and compiles nothing') or diag($out2);
}

# ---------------- the build part of make demo, bench and check (no Kafka)
{
	my $s = scenario('demo');
	my ($rc, $out) = run_make("B=$s->{dir}/build", "PKG_CONFIG=$s->{pc}",
				  "DEPS_CMD=$s->{deps}", 'build-with-deps');
	is($rc, 0, 'the build part of demo/bench/check succeeds the first time on a bare machine')
		or diag($out);
	is(slurp($s->{depslog}), "deps \n", 'it ran the full deps once');
	unlike(slurp($s->{pclog}), qr/^refused/m, 'pkg-config was never asked before deps');
	like(scalar `'$s->{dir}/build/ferryd' --version 2>&1`, qr/^ferryd /, 'ferryd runs');
	ok(-x "$s->{dir}/build/kt", 'kt is built');
	my @units = glob("$s->{dir}/build/unit/test_*");
	my @srcs = glob("$root/regress/unit/test_*.c");
	is(scalar(@units), scalar(@srcs), 'every unit test is built');
}

# --------------- no deps: a compile that needs the flags stops, and says why
{
	my $s = scenario('nodeps');
	my ($rc, $out) = run_make("B=$s->{dir}/build", "PKG_CONFIG=$s->{pc}", 'DEPS_CMD=true', 'all');
	isnt($rc, 0, 'make all without the libraries fails');
	like($out, qr/\Q$s->{pc}\E --cflags .*failed \(Package rdkafka was not found.*run `make deps`/,
	     'naming pkg-config, its error and `make deps`') or diag($out);
	unlike($out, qr/\bcc\b.* -c /, 'before any compile ran with empty flags');
	ok(!-e "$s->{dir}/build/ferryd", 'and no ferryd is left behind');
}

done_testing();
