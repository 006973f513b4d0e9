#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
# Turn "git format-patch --stdout -k" output into a mailing-list archive:
# patch series with cover letters, review replies with trailers, and later
# versions posted into the earlier version's thread.  See bench/README.md.
#
# usage: corpus.pl TARGET_MESSAGES < format-patch.mbox > corpus.mbox
use strict;
use warnings;
use POSIX qw(strftime);

my $target = shift // 110000;
srand(42);    # the same corpus on every run

# ---- read the format-patch stream: one commit per message ----------------
my (@patches, $cur);
sub finish_patch {
	return unless $cur;
	my ($head, $body) = split /\n\n/, $cur->{raw}, 2;
	$head =~ s/\n[ \t]+/ /g;    # unfold
	my %h;
	for (split /\n/, $head) {
		$h{lc $1} = $2 if /^([A-Za-z-]+):\s*(.*)$/;
	}
	push @patches, {
		from => $h{from}, subject => $h{subject}, body => $body // '',
		mime => join('', map { $h{$_} ? ucfirst_hdr($_) . ": $h{$_}\n" : '' }
			     qw(mime-version content-type content-transfer-encoding)),
	};
	$cur = undef;
}
sub ucfirst_hdr { join '-', map { ucfirst } split /-/, $_[0] }

while (my $l = <STDIN>) {
	if ($l =~ /^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$/) {
		finish_patch();
		$cur = { raw => '' };
		next;
	}
	$cur->{raw} .= $l if $cur;
}
finish_patch();
die "no patches on standard input\n" unless @patches;
for (@patches) {
	$_->{body} =~ s/\n+\z/\n/;    # the blank line before the next "From "
	($_->{email}) = $_->{from} =~ /<([^>]+)>/;
	$_->{email} //= $_->{from};
}

# ---- series: consecutive commits by one author, 1 to 8 at a time ----------
my @series;
for (my $i = 0; $i < @patches;) {
	my $max = 1 + int(rand(8));
	my @s = ($i++);
	push @s, $i++ while $i < @patches && @s < $max &&
		$patches[$i]{email} eq $patches[$s[0]]{email};
	push @series, \@s;
}
my @people = do { my %seen; grep { !$seen{$_}++ } map { $_->{from} } @patches };

# ---- write the archive -----------------------------------------------------
my $clock = 1577836800;    # 2020-01-01, a fake clock: 41 s a message
my $seq = 0;
my $written = 0;
my @pending;    # replies wait one series, as they do on a list

sub date { strftime('%a, %d %b %Y %H:%M:%S +0000', gmtime($_[0])) }

sub emit {
	my (%m) = @_;
	my $refs = $m{refs} && @{ $m{refs} } ? join(' ', @{ $m{refs} }) : undef;
	my $body = $m{body};
	$body =~ s/^(>*From )/>$1/mg;    # mboxrd
	print "From patchbot-bench Mon Jan  1 00:00:00 2024\n";
	print "From: $m{from}\n";
	print "Date: ", date($clock), "\n";
	print "Subject: $m{subject}\n";
	print "To: git\@vger.kernel.org\n";
	print "Cc: $m{cc}\n" if $m{cc};
	print "Message-ID: $m{id}\n";
	print "In-Reply-To: $m{refs}[-1]\n" if $refs;
	print "References: $refs\n" if $refs;
	print $m{mime} // "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n";
	print "\n", $body, "\n";
	$clock += 41;
	$written++;
}

sub new_id {
	my ($tag, $email) = @_;
	my ($local) = $email =~ /^([^@]+)/;
	$local //= 'x';
	$local =~ s/[^A-Za-z0-9._-]//g;
	return sprintf('<%s.%d.%s-%s@bench.patchbot.invalid>',
		       strftime('%Y%m%d%H%M%S', gmtime($clock)), ++$seq, $tag, $local);
}

sub quote {
	my ($who, $text, $lines) = @_;
	my @l = split /\n/, $text;
	@l = @l[0 .. $lines - 1] if @l > $lines;
	return "On " . date($clock - 3600) . ", $who wrote:\n" .
		join('', map { length($_) ? "> $_\n" : ">\n" } @l);
}

sub flush_replies { emit(%$_) for @pending; @pending = () }

sub post_series {
	my ($s, $v, $prev_root) = @_;
	my @p = map { $patches[$_] } @$s;
	my $n = @p;
	my $author = $p[0]{from};
	my $email = $p[0]{email};
	my $tag = $v > 1 ? "PATCH v$v" : 'PATCH';
	my $width = length $n;
	my (@refs, $root, @ids);
	my @new_pending;

	@refs = ($prev_root) if $prev_root;
	if ($n > 1) {
		my $title = $p[0]{subject};
		my $shortlog = join '', map { "  $_->{subject}\n" } @p;
		my $stat = '';
		for (@p) {
			$stat .= $1 if $_->{body} =~ /\n---\n((?: .*\n)+)/;
		}
		my $changes = $v > 1 ? "Changes since v" . ($v - 1) .
			":\n - addressed review comments\n - rebased\n\n" : '';
		$root = new_id("v$v-0", $email);
		emit(from => $author, id => $root, refs => [@refs],
		     subject => sprintf('[%s %0*d/%d] %s', $tag, $width, 0, $n, $title),
		     body => "This series reworks the area touched by \"$title\".\n\n" .
			     $changes . ($author =~ s/\s*<.*//r) . " ($n):\n" .
			     $shortlog . "\n$stat\n-- \n2.43.0\n");
		push @refs, $root;
		if (rand() < 0.2) {
			my $r = $people[rand @people];
			push @new_pending, {
				from => $r, id => new_id("ack", $r =~ /<([^>]+)>/ ? $1 : $r),
				refs => [@refs],
				subject => "Re: [$tag 0/$n] $title",
				body => quote($author, "This series reworks the area touched by \"$title\".", 3) .
					"\nThe whole series looks sensible to me.\n\n" .
					"Acked-by: $r\n" };
		}
	}
	for my $k (0 .. $n - 1) {
		my $p = $p[$k];
		my $subj = $n > 1 ?
			sprintf('[%s %0*d/%d] %s', $tag, $width, $k + 1, $n, $p->{subject}) :
			"[$tag] $p->{subject}";
		my $id = new_id("v$v-" . ($k + 1), $email);
		my @r = $n > 1 ? @refs : @refs;
		emit(from => $author, id => $id, refs => [@r], subject => $subj,
		     body => $p->{body}, mime => $p->{mime});
		$root //= $id;
		my $x = rand();
		if ($x < 0.6) {
			my $r = $people[rand @people];
			my $rid = new_id("rev", $r =~ /<([^>]+)>/ ? $1 : $r);
			my $key = rand() < 0.8 ? 'Reviewed-by' : 'Acked-by';
			push @new_pending, {
				from => $r, id => $rid, refs => [@r, $id],
				subject => "Re: $subj",
				body => quote($author, $p->{body}, 8 + int(rand(20))) .
					"\nNice cleanup; the hunk above reads well.\n\n$key: $r\n" };
			if (rand() < 0.3) {
				push @new_pending, {
					from => $author, id => new_id("re", $email),
					refs => [@r, $id, $rid], subject => "Re: $subj",
					body => quote($r =~ s/\s*<.*//r, "Nice cleanup; the hunk above reads well.", 1) .
						"\nThanks for the review, I will carry your trailer.\n" };
			}
		}
	}
	flush_replies();
	@pending = @new_pending;
	return $root;
}

my @roots;
VERSION: for (my $v = 1; ; $v++) {
	for my $i (0 .. $#series) {
		$roots[$i] = post_series($series[$i], $v, $roots[$i]);
		last VERSION if $written >= $target;
	}
}
flush_replies();
printf STDERR "%d commits, %d series, %d messages\n", scalar @patches,
	scalar @series, $written;
