#!/usr/bin/perl
# Rewrites a generated section of a man page from the table that defines
# it, so the page is a view of the one definition (as gen-commands-man.sh
# does for ferry(1)'s COMMANDS):
#   gen-man.pl keys    FERRYD docs/ferry.conf.5   (`ferryd --dump-keys`,
#       appliance/conf/conf_keys.c) between `.\" BEGIN KEYS` and `.\" END KEYS`
#   gen-man.pl metrics FERRYD docs/ferryd.8       (`ferryd --dump-metrics`,
#       appliance/control/metrics.c) between `.\" BEGIN METRICS` and `.\" END METRICS`
# Everything outside the markers is hand-written and kept as it is.
#
# The help text of a table row is plain text with two marks, so it reads
# well in `ferryd --list-keys` too: `word` is bold, <word> is italic (also
# inside a bold span: `<source>.checkpoints.internal`).
use strict;
use warnings;

my ($what, $ferryd, $man) = @ARGV;
die "usage: gen-man.pl keys|metrics FERRYD MANPAGE\n" unless $man && $what =~ /^(keys|metrics)$/;
my $marker = uc $what;

# roff-escape plain text: backslash, hyphen (a minus in roff), a leading
# dot or quote (a request)
sub esc
{
	my ($s) = @_;
	$s =~ s/\\/\\e/g;
	$s =~ s/-/\\-/g;
	return $s;
}

# help text with its marks → roff for a text line
sub text
{
	my ($s) = @_;
	my @parts = split /`/, $s, -1;
	die "gen-man.pl: unbalanced ` in: $s\n" if @parts % 2 == 0;
	my $out = '';
	for my $i (0 .. $#parts)
	{
		my $p = esc($parts[$i]);
		my $font = $i % 2 ? 'B' : 'R';
		$p =~ s/<([A-Za-z][A-Za-z_]*)>/\\fI$1\\f$font/g;
		$out .= $i % 2 ? "\\fB$p\\fR" : $p;
	}
	return "\\&$out";
}

sub keys_section
{
	my @rows;
	open(my $fh, '-|', $ferryd, '--dump-keys') or die "gen-man.pl: $ferryd: $!\n";
	while (my $l = <$fh>)
	{
		chomp $l;
		my @c = split /\t/, $l, -1;
		die "gen-man.pl: --dump-keys line has " . scalar(@c) . " columns, not 11: $l\n" if @c != 11;
		my %r;
		@r{qw(name type def bounds scope support alias when sensitive ferry_value help)} = @c;
		push @rows, \%r;
	}
	close $fh or die "gen-man.pl: $ferryd --dump-keys failed\n";
	die "gen-man.pl: $ferryd --dump-keys printed no key\n" unless @rows;

	my @out;
	my $entry = sub {
		my ($r) = @_;
		push @out, '.TP';
		if ($r->{scope} eq 'cluster,flow')
		{
			push @out, '\fItarget\fB.' . esc($r->{name}) . '\fR, \fIsource\fB\->\fItarget\fB.' . esc($r->{name}) . '\fR';
		}
		elsif ($r->{scope} eq 'cluster')
		{
			push @out, '.IB alias .' . esc($r->{name});
		}
		elsif ($r->{scope} eq 'flow')
		{
			push @out, '.IB source \-> target .' . esc($r->{name});
		}
		else
		{
			push @out, '.B ' . esc($r->{name});
		}
		my @what = ($r->{type} . ($r->{bounds} ne '-' ? " $r->{bounds}" : ''));
		if ($r->{def} eq '')
		{
			push @what, 'default empty';
		}
		elsif ($r->{def} ne '-')
		{
			push @what, $r->{type} eq 'integer' ? "default $r->{def}" : "default `$r->{def}`";
		}
		my @props = (join(', ', @what));
		push @props, 'top level only' if $r->{scope} eq 'global';
		push @props, 'per flow only' if $r->{scope} eq 'flow';
		push @props, "top level or per flow" if $r->{scope} eq 'global,flow';
		push @props, "per target cluster or per flow, the flow's wins" if $r->{scope} eq 'cluster,flow';
		push @props, 'per cluster only' if $r->{scope} eq 'cluster';
		push @props, "deprecated, warned; the current name is `$r->{alias}`" if $r->{support} eq 'deprecated';
		push @props, 'takes effect when ferryd restarts' if $r->{when} eq 'restart';
		push @props, 'never logged or shown' if $r->{sensitive} eq 'yes';
		push @out, text('(' . join('; ', @props) . ') ' . $r->{help});
	};
	my @mm2 = grep { $_->{support} =~ /^(supported|deprecated)$/ && $_->{name} !~ /^ferry\./ } @rows;
	my @own = grep { $_->{support} =~ /^(supported|deprecated)$/ && $_->{name} =~ /^ferry\./ } @rows;
	push @out, '.SH MM2 KEYS',
	    'The MirrorMaker 2 keys ferry implements, with MM2\'s defaults.';
	$entry->($_) for @mm2;
	push @out, '.SH FERRY KEYS', 'Keys of ferry\'s own; MM2 ignores them.';
	$entry->($_) for @own;

	push @out, '.SH KEYS READ BUT NOT IMPLEMENTED YET',
	    'These MM2 keys are accepted and warned about, unless set to the value',
	    'that matches what ferry does anyway (given here after the key):';
	for my $r (grep { $_->{support} eq 'not-yet' } @rows)
	{
		push @out, '.TP', '.B ' . esc($r->{name});
		push @out, text(($r->{ferry_value} ne '-' ? "(set to `$r->{ferry_value}`: no warning) " : '') . $r->{help});
	}
	push @out, '.SH KEYS IGNORED',
	    'Kafka Connect worker settings have no meaning for ferry and are ignored',
	    'silently (a name ending in * is a prefix):';
	my @ign = grep { $_->{support} eq 'ignored' } @rows;
	for my $i (0 .. $#ign)
	{
		my $r = $ign[$i];
		(my $why = $r->{help}) =~ s/\.$//;
		$why = " ($why)" if $why ne '';
		push @out, text("`$r->{name}`$why" . ($i < $#ign ? ',' : '.'));
	}
	return @out;
}

sub metrics_section
{
	my @out;
	open(my $fh, '-|', $ferryd, '--dump-metrics') or die "gen-man.pl: $ferryd: $!\n";
	while (my $l = <$fh>)
	{
		chomp $l;
		my @c = split /\t/, $l, -1;
		die "gen-man.pl: --dump-metrics line has " . scalar(@c) . " columns, not 4: $l\n" if @c != 4;
		my ($prom, $type, $mm2, $help) = @c;
		push @out, '.TP', '.B ' . esc($prom);
		push @out, text("($type; `$mm2` in `ferry show metrics`) $help.");
	}
	close $fh or die "gen-man.pl: $ferryd --dump-metrics failed\n";
	die "gen-man.pl: $ferryd --dump-metrics printed no metric\n" unless @out;
	return @out;
}

my @sec = $what eq 'keys' ? keys_section() : metrics_section();
open(my $in, '<', $man) or die "gen-man.pl: $man: $!\n";
my @lines = <$in>;
close $in;
my (@new, $skip, $seen);
for my $l (@lines)
{
	if ($l =~ /^\.\\" BEGIN $marker\b/)
	{
		push @new, $l, map { "$_\n" } @sec;
		$skip = 1;
		$seen++;
		next;
	}
	$skip = 0 if $l =~ /^\.\\" END $marker\b/;
	push @new, $l unless $skip;
}
die "gen-man.pl: $man has no .\\\" BEGIN $marker / END $marker markers\n" unless $seen && !$skip;
open(my $out, '>', $man) or die "gen-man.pl: $man: $!\n";
print $out @new;
close $out or die "gen-man.pl: $man: $!\n";
