#!/usr/bin/env bash
# Only catalog identifiers are spliced into SQL (STYLE.md: "Bind every value; only catalog
# identifiers are spliced into SQL"). This lists every call in service/store/ that splices a
# string into a buffer — pm_strbuf_appendf and pm_asprintf with a %s, %.*s or %c, and
# pm_strbuf_append_str / pm_strbuf_append with anything but a string literal — and checks
# each spliced argument against the allow-list below, where each entry says why it is safe
# (a catalog identifier, a fixed table of names, a literal choice, or text that is not SQL).
# An argument that looks like request input (p->q, a parameter value, filter text, a CQL2
# node's text) fails with its place; any other argument not in the list fails too, so that a
# new splice is reviewed before it is allowed.
#
# usage: check_sql_identifiers.sh REPO_ROOT
set -u
root=$1
exec perl -e '
use strict;
use warnings;

# expression (whitespace collapsed) => why it is safe
my %allow = (
    "c->view" => "catalog: the collection view",
    "c->base_table" => "catalog: the base table",
    "cc->c->base_table" => "catalog: the base table",
    "c->props[i].name" => "catalog: a property name",
    "cc->c->props[i].name" => "catalog: a property name (an error message)",
    "c->props[req->counts[i]].name" => "catalog: a property, by an index the parser checked",
    "c->props[req->group_by].name" => "catalog: a property, by an index the parser checked",
    "k < 0 ? \"id\" : c->props[k].name" => "catalog: a property, by index, or id",
    "p->name" => "catalog: a property whose name equals the CQL2 text (strcmp above it)",
    "col" => "catalog: the filter columns of sql/collections.sql, a parameter name that pm_collection_property() found in the catalog, or a column of collections.search_via (checked to be a plain identifier at open)",
    "rowid_expr" => "search_in: the literal \"_rowid\" or \"rowid\" of its two callers",
    "table" => "search_in: c->base_table (catalog) or the literal \"cities\"",
    "spatial_function(n->op)" => "a fixed table of SpatiaLite function names",
    "compare_sql(n->op)" => "a fixed table of SQL operators",
    "*p" => "like_to_glob: a character of the GLOB pattern, which is bound as a value",
    "sql" => "explain_sql: the SQL this module built",
    "(const char *)sqlite3_column_text(st, 3)" => "explain_sql: query plan text, not SQL",
    "lit->sql.data" => "a compiled literal fragment (its values are bound)",
    "src->sql.data ? src->sql.data : \"\"" => "a compiled fragment (its values are bound)",
    "f.sql.data ? f.sql.data : \"\"" => "the compiled filter (its values are bound)",
    "where.data" => "the compiled WHERE clause (its values are bound)",
    "where->data" => "the compiled WHERE clause (its values are bound)",
    "from ? from : c->view" => "select_columns_from: the view, or a FROM its caller built of c->base_table and c->view (catalog)",
    "from" => "count_matches: c->view, or the FROM of the walk, built of c->base_table and c->view (catalog)",
    "tbl" => "load.c: a table name from the embedded sql/load_spec.sql",
    "cols[k]" => "load.c: a column name from the embedded sql/load_spec.sql",
    "f->spec_cols[k]" => "load.c: a column name from sql/load_spec.sql (an error message)",
    "tables[i]" => "load.c: a static table of table names",
    "dir" => "load.c: a file path, not SQL",
    "base" => "load.c: a file name (of a stale load), not SQL",
    "e->d_name" => "load.c: a directory entry (a stale load file), not SQL",
    "point ? \"MakePoint(?, ?, 4326)\" : \"MakeLine(MakePoint(?, ?, 4326), \" \"MakePoint(?, ?, 4326))\"" => "filter.c: fixed SQL for a box of no width or height (its values are bound)",
    "file" => "load.c: a file path, not SQL",
    "db_path" => "load.c: a file path, not SQL",
    "out" => "sqlfuncs.c: the output of an SQL function, not SQL",
    "tree_name" => "rtree.c: the name of an index in an error message, not SQL",
    "reason" => "rtree.c: an error message, not SQL",
    "buf" => "geodesic.c: a formatted number in GeoJSON, not SQL",
    "rows" => "walk_open, check_sql_for: c->heads or c->view (catalog, each checked to be a plain identifier at open)",
    "heads" => "heads.c: collections.heads of the catalog the load wrote, checked by plain()",
    "view" => "heads.c: collections.view of the catalog the load wrote, checked by plain()",
    "name" => "heads.c: a property name of collection_properties, checked by plain()",
    "keys.data ? keys.data : \"\"" => "heads.c: property names of collection_properties, each checked by plain()",
    "id" => "heads.c: a collection id in an error message, not SQL",
    "name ? name : \"NULL\"" => "heads.c: a property name in an error message, not SQL",
    "sqlite3_errmsg(db)" => "heads.c: the error message of SQLite, not SQL",
    "strcmp(buf, \"-0\") ? buf : \"0\"" => "geodesic.c: a formatted number in GeoJSON, not SQL",
);
# What request input looks like: it must never be spliced.
my @request = (qr/\bp->q\b/, qr/(?:->|\.)value\b/, qr/\bfilter\b/, qr/\bfolded\b/, qr/\bphrase\b/,
               qr/->text\b/, qr/\breq->(?!counts|group_by)/, qr/->args\b/, qr/\bquery\b/);

my ($n_calls, $n_args, @fail) = (0, 0);
my @files = split /\n/, `find "$ARGV[0]/service/store" -name "*.c" | sort`;
for my $file (@files) {
    open my $fh, "<", $file or die "$file: $!";
    local $/;
    my $src = <$fh>;
    (my $rel = $file) =~ s{^\Q$ARGV[0]\E/}{};
    while ($src =~ /\b(pm_strbuf_appendf|pm_asprintf|pm_strbuf_append_str|pm_strbuf_append)\s*\(/g) {
        my ($fn, $start) = ($1, pos($src));
        my $line = 1 + (substr($src, 0, $start) =~ tr/\n//);
        # The arguments, split at top-level commas, strings and nesting respected.
        my ($depth, $i, $cur, @args) = (1, $start, "");
        while ($depth > 0 && $i < length $src) {
            my $ch = substr($src, $i, 1);
            if ($ch eq "\"" || $ch eq "\x27") {
                my $q = $ch;
                my $j = $i + 1;
                $j += substr($src, $j, 1) eq "\\" ? 2 : 1 while substr($src, $j, 1) ne $q;
                $cur .= substr($src, $i, $j - $i + 1);
                $i = $j + 1;
                next;
            }
            $depth++ if $ch =~ /[(\[{]/;
            $depth-- if $ch =~ /[)\]}]/;
            if ($depth == 0) { last; }
            if ($ch eq "," && $depth == 1) { push @args, $cur; $cur = ""; } else { $cur .= $ch; }
            $i++;
        }
        push @args, $cur;
        s/\s+/ /g, s/^ | $//g for @args;
        $n_calls++;
        my @spliced;
        if ($fn eq "pm_strbuf_append_str" || $fn eq "pm_strbuf_append") {
            next if $args[1] =~ /^(?:"(?:[^"\\]|\\.)*"\s*)+$/; # literals only
            @spliced = ($args[1]);
        } else {
            my $fi = $fn eq "pm_asprintf" ? 0 : 1;
            my $fmt = join "", $args[$fi] =~ /"((?:[^"\\]|\\.)*)"/g;
            my $ai = $fi + 1;
            while ($fmt =~ /%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?(hh|h|ll|l|z|j|t)?([a-zA-Z%])/g) {
                my ($w, $p, $conv) = ($2, $3, $5);
                next if $conv eq "%";
                $ai++ if defined $w && $w eq "*";
                $ai++ if defined $p && $p eq "*";
                push @spliced, $args[$ai] if $conv =~ /^[sc]$/;
                $ai++;
            }
        }
        for my $arg (@spliced) {
            next unless defined $arg;
            $n_args++;
            # A choice between string literals splices no input.
            (my $shape = $arg) =~ s/"(?:[^"\\]|\\.)*"/L/g;
            if ($shape =~ /^(?:[^?"]*\?\s*L\s*:\s*)+L$/) {
                printf "  %s:%d %s: %s  [a literal choice]\n", $rel, $line, $fn, $arg;
                next;
            }
            if (exists $allow{$arg}) {
                printf "  %s:%d %s: %s  [%s]\n", $rel, $line, $fn, $arg, $allow{$arg};
                next;
            }
            if (grep { $arg =~ $_ } @request) {
                push @fail, sprintf "%s:%d: %s splices request input into SQL: %s", $rel, $line, $fn, $arg;
            } else {
                push @fail, sprintf "%s:%d: %s splices %s, which is not in the allow-list of catalog identifiers (review it, then add it with the reason)", $rel, $line, $fn, $arg;
            }
        }
    }
}
print "$n_calls calls to the strbuf and asprintf functions in service/store, $n_args spliced arguments checked\n";
print "not ok - $_\n" for @fail;
print @fail ? scalar(@fail) . " spliced arguments are not known catalog identifiers\n" : "ok - every spliced argument is a catalog identifier or not SQL\n";
exit(@fail ? 1 : 0);
' "$root"
