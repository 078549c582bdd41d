#!/usr/bin/env python3
"""Writes N SQLite migrations in the pair layout (V_name.up.sql + V_name.down.sql), deterministically.
With --postgres, the same migrations in PostgreSQL's spelling (bytea for BLOB, '\\x…' literals).

A realistic mix: new tables of 5-15 columns with a few seed rows, added columns, indexes, views,
more seed rows and the occasional dropped table. Every down script reverts its up, so the set also
passes `mig shadow --roundtrip`. Also writes all ups concatenated in version order to ALL_UP (for
the sqlite3 shell baseline) when a third argument is given.
"""
import os
import random
import sys

postgres = "--postgres" in sys.argv
if postgres:
    sys.argv.remove("--postgres")
folder = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
concatenated = sys.argv[3] if len(sys.argv) > 3 else None
os.makedirs(folder, exist_ok=True)
rng = random.Random(42)
BLOB = "BYTEA" if postgres else "BLOB"
TYPES = ["INTEGER", "TEXT", "REAL", "TEXT NOT NULL DEFAULT ''", "INTEGER NOT NULL DEFAULT 0", BLOB, "NUMERIC"]

tables = {}  # name -> {"columns": [(name, type)], "indexes": {name: column}, "viewed": bool}
serial = 0


def value_for(kind, row):
    if kind.startswith("INTEGER") or kind in ("REAL", "NUMERIC"):
        return str(row * 7)
    if kind == BLOB:
        return f"'\\x{row:04x}'" if postgres else f"x'{row:04x}'"
    return f"'value {row}'"


def create_table_sql(table):
    info = tables[table]
    columns = ",\n".join(f"    {name} {kind}" for name, kind in info["columns"])
    sql = f"CREATE TABLE {table} (\n    id INTEGER PRIMARY KEY,\n{columns}\n);\n"
    for index, column in sorted(info["indexes"].items()):
        sql += f"CREATE INDEX {index} ON {table} ({column});\n"
    return sql


def insert_rows(table, first, last):
    columns = tables[table]["columns"][:4]
    names = ", ".join(name for name, _ in columns)
    rows = ",\n    ".join(
        "(" + ", ".join([str(row)] + [value_for(kind, row) for _, kind in columns]) + ")"
        for row in range(first, last + 1))
    return f"INSERT INTO {table} (id, {names}) VALUES\n    {rows};\n"


def migration():
    global serial
    serial += 1
    live = sorted(tables)
    droppable = [t for t in live if not tables[t]["viewed"]]
    roll = rng.random()
    if not live or roll < 0.40:
        table = f"table_{serial}"
        tables[table] = {
            "columns": [(f"column_{c}", rng.choice(TYPES)) for c in range(rng.randint(5, 15))],
            "indexes": {}, "viewed": False, "rows": 3}
        return f"create_{table}", create_table_sql(table) + insert_rows(table, 1, 3), f"DROP TABLE {table};\n"
    table = rng.choice(live)
    info = tables[table]
    if roll < 0.60:
        column = f"added_{serial}"
        info["columns"].append((column, "TEXT DEFAULT 'none'"))
        return (f"add_{column}_to_{table}", f"ALTER TABLE {table} ADD COLUMN {column} TEXT DEFAULT 'none';\n",
                f"ALTER TABLE {table} DROP COLUMN {column};\n")
    if roll < 0.80:
        index = f"index_{serial}"
        column = rng.choice(info["columns"][:5])[0]
        info["indexes"][index] = column
        return (f"index_{table}_{column}", f"CREATE INDEX {index} ON {table} ({column});\n", f"DROP INDEX {index};\n")
    if roll < 0.90:
        view = f"view_{serial}"
        info["viewed"] = True
        columns = ", ".join(name for name, _ in info["columns"][:3])
        return (f"create_{view}", f"CREATE VIEW {view} AS\n    SELECT id, {columns}\n    FROM {table}\n    WHERE id > 1;\n",
                f"DROP VIEW {view};\n")
    if roll < 0.95 and droppable:
        table = rng.choice(droppable)
        down = create_table_sql(table)
        del tables[table]
        return f"drop_{table}", f"DROP TABLE {table};\n", down
    first = info["rows"] + 1
    info["rows"] += 5
    return (f"seed_{table}", insert_rows(table, first, first + 4),
            f"DELETE FROM {table} WHERE id BETWEEN {first} AND {first + 4};\n")


ups = []
for number in range(1, count + 1):
    name, up, down = migration()
    stem = os.path.join(folder, f"{number:06d}_{name}")
    with open(stem + ".up.sql", "w") as handle:
        handle.write(up)
    with open(stem + ".down.sql", "w") as handle:
        handle.write(down)
    ups.append(up)
if concatenated:
    with open(concatenated, "w") as handle:
        handle.write("".join(ups))
