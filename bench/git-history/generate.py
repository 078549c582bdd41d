#!/usr/bin/env python3
"""Writes a deterministic `git fast-import` stream of a large repository for mig's history benchmark.

usage: generate.py [COMMITS] [MIGRATIONS] [OTHER_FILES] > stream

Main gets COMMITS commits (default 100,000) in total. The first creates OTHER_FILES files
(default 3,000) spread over folders, and the mig config. Later commits change a few of those
files; one in every COMMITS/MIGRATIONS adds a sequential migration under db/migrations (5,000
by default), every 13th migration is edited again later, and every 100th commit merges a short
side branch (which also adds migrations, some of them reaching main after a higher version).
Dates advance one minute per commit from a fixed start, so the stream is the same every run.
"""
import sys

commits = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
migrations = int(sys.argv[2]) if len(sys.argv) > 2 else 5_000
others = int(sys.argv[3]) if len(sys.argv) > 3 else 3_000
out = sys.stdout.buffer
start = 1_600_000_000
clock = 0
mark = 0
version = 0
added = []  # versions added so far, for later edits


def data(text):
    raw = text.encode()
    out.write(b"data %d\n" % len(raw))
    out.write(raw)
    out.write(b"\n")


def commit(ref, message, files, parent=None, merge=None):
    global clock, mark
    mark += 1
    clock += 60
    out.write(b"commit %s\nmark :%d\n" % (ref.encode(), mark))
    who = b"Dev %d <dev%d@example.com> %d +0000\n" % (mark % 17, mark % 17, start + clock)
    out.write(b"author " + who + b"committer " + who)
    data(message)
    if parent:
        out.write(b"from :%d\n" % parent)
    if merge:
        out.write(b"merge :%d\n" % merge)
    for path, text in files:
        out.write(b"M 100644 inline %s\n" % path.encode())
        data(text)
    return mark


def other(index, revision):
    return ("src/module%03d/file%05d.txt" % (index % 100, index), "file %d revision %d\n" % (index, revision))


def new_migration():
    global version
    version += 1
    added.append(version)
    name = "db/migrations/%06d_change_%d.sql" % (version, version)
    return (name, "-- mig:up\nCREATE TABLE t%d (id INTEGER);\n-- mig:down\nDROP TABLE t%d;\n" % (version, version))


config = '[migrations]\ndir = "db/migrations"\nversioning = "sequential"\nrequire_down = true\n'
main = commit("refs/heads/main", "initial", [(".migrate/config.toml", config)] + [other(i, 0) for i in range(others)])
migration_every = max(1, commits // max(1, migrations))
history = [main]
made = 1
while made < commits:
    files = [other((made * 7919 + k * 31) % others, made) for k in range(1 + made % 3)]
    if made % migration_every == 0 and version < migrations:
        files.append(new_migration())
    if made % 97 == 0 and len(added) > 13:
        edited = added[-13]
        files.append(("db/migrations/%06d_change_%d.sql" % (edited, edited),
                      "-- mig:up\nCREATE TABLE t%d (id INTEGER, note TEXT);\n-- mig:down\nDROP TABLE t%d;\n" % (edited, edited)))
    if made % 100 == 0 and made + 3 < commits:
        side_files = [other((made * 13) % others, made)]
        side = commit("refs/heads/side", "side work %d" % made, side_files, parent=history[-10])
        side_migration = [new_migration()] if version < migrations else []
        side = commit("refs/heads/side", "side migration %d" % made, side_migration, parent=side)
        # fast-import takes a commit's tree from its first parent: bring the side's files in as a merge would.
        main = commit("refs/heads/main", "merge side %d" % made, files + side_files + side_migration, parent=main, merge=side)
        made += 3
    else:
        main = commit("refs/heads/main", "change %d" % made, files, parent=main)
        made += 1
    history.append(main)

# A feature branch off main 50 commits back, adding two migrations: what `mig check --base main` compares.
feature = history[-51] if len(history) > 51 else history[0]
feature = commit("refs/heads/feature", "feature: first", [("db/migrations/%06d_feature_a.sql" % (version + 1),
                 "-- mig:up\nCREATE TABLE fa (id INTEGER);\n-- mig:down\nDROP TABLE fa;\n")], parent=feature)
commit("refs/heads/feature", "feature: second", [("db/migrations/%06d_feature_b.sql" % (version + 2),
       "-- mig:up\nCREATE TABLE fb (id INTEGER);\n-- mig:down\nDROP TABLE fb;\n")], parent=feature)
out.write(b"done\n")
