# Ferry::Test::Mirror — assertions about mirrored data shared by the
# integration tests: a remote topic holds the same records as its source
# (same partition and order, identical key, value, headers, timestamp), and
# a config template for ferryd.
#
# Exported: mirror_identical mm2_config wait_count count_or_zero

package Ferry::Test::Mirror;

use strict;
use warnings FATAL => 'all';

use Carp;
use Exporter 'import';
use Test::More ();

use Ferry::Test::Utils;

our @EXPORT = qw(mirror_identical mm2_config wait_count count_or_zero);

# Raw `kt dump` lines grouped by partition, offsets dropped (the target's
# offsets may differ, e.g. after transaction markers).
sub _by_partition
{
	my ($cluster, $topic) = @_;
	my ($rc, $out, $err) = $cluster->kt_result('dump', $topic, '--timeout', 120);
	croak "dump $topic on " . $cluster->name . " failed: $err" if $rc != 0;
	my %p;
	for my $line (split /\n/, $out)
	{
		my ($part, $off, $rest) = split /\t/, $line, 3;
		push @{ $p{$part} }, $rest;
	}
	return \%p;
}

# mirror_identical($src, $topic, $dst, $remote, $name): one test that passes
# when every partition of $remote on $dst holds exactly the records of the
# same partition of $topic on $src, in the same order.
sub mirror_identical
{
	my ($src, $topic, $dst, $remote, $name) = @_;
	my $srcp = _by_partition($src, $topic);
	my $dstp = _by_partition($dst, $remote);
	my @problems;
	my %parts = map { $_ => 1 } (keys %$srcp, keys %$dstp);
	my $n = 0;
	for my $p (sort { $a <=> $b } keys %parts)
	{
		my $x = $srcp->{$p} // [];
		my $y = $dstp->{$p} // [];
		$n += @$x;
		if (@$x != @$y)
		{
			push @problems, sprintf('partition %d: %d records on %s, %d on %s',
				$p, scalar @$x, $src->name, scalar @$y, $dst->name);
			next;
		}
		for my $i (0 .. $#$x)
		{
			next if $x->[$i] eq $y->[$i];
			push @problems, "partition $p, record $i differs:\n  source: $x->[$i]\n  remote: $y->[$i]";
			last;
		}
	}
	my $ok = Test::More::ok(!@problems && $n > 0, $name);
	Test::More::diag(join("\n", @problems[ 0 .. ($#problems < 5 ? $#problems : 5) ]))
	  if @problems;
	Test::More::diag("no records in $topic") if $n == 0;
	return $ok;
}

# mm2_config(clusters => { A => $kafka, ... }, flows => [ 'A->B', ... ],
#            extra => "text") -> properties text
sub mm2_config
{
	my (%o) = @_;
	my @names = sort keys %{ $o{clusters} };
	my $text = "# written by " . test_name() . "\nclusters = " . join(', ', @names) . "\n";
	$text .= "$_.bootstrap.servers = " . $o{clusters}{$_}->bootstrap . "\n" for @names;
	$text .= "$_.enabled = true\n" for @{ $o{flows} // [] };
	$text .= "replication.factor = 1\n";
	# single-broker test clusters: MM2's internal topics with one replica
	$text .= "heartbeats.topic.replication.factor = 1\n";
	$text .= "checkpoints.topic.replication.factor = 1\n";
	$text .= "offset-syncs.topic.replication.factor = 1\n";
	$text .= $o{extra} // '';
	return $text;
}

# count_or_zero($cluster, $topic): records in $topic, 0 while it does not exist.
sub count_or_zero
{
	my ($cluster, $topic) = @_;
	my ($rc, $out) = $cluster->kt_result('count', $topic);
	return $rc == 0 ? $out + 0 : 0;
}

# wait_count($cluster, $topic, $n, $timeout): polls until $topic holds at
# least $n records (high - low watermarks); returns true/false.
sub wait_count
{
	my ($cluster, $topic, $n, $timeout) = @_;
	my $last = -1;
	return poll_until(
		sub {
			my ($rc, $out) = $cluster->kt_result('count', $topic);
			return 0 if $rc != 0;
			$last = $out + 0;
			return $last >= $n;
		},
		$timeout // 120,
		"$topic on " . $cluster->name . " to hold $n records (last seen: $last)");
}

1;
