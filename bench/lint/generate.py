#!/usr/bin/env python3
"""Writes COUNT PostgreSQL migrations (pair layout, up and down files) that cover mig's lint
rules, each a statement or a few on tables that earlier migrations created, plus safe
near misses, for comparing `mig lint` with squawk on the same files.

Usage: generate.py FOLDER COUNT
The first migration creates the tables, enum and schema the others change; every later one
is linted on its own by both tools (a table counts as existing unless the file creates it).
"""
import os
import sys

# Each case: (name, up SQL). {t} is an existing table, {n} a number making names unique.
CASES = [
    ("index", "CREATE INDEX t{n}_idx ON {t} (email);"),
    ("index_concurrently", "-- mig:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t{n}_idx ON {t} (email);"),
    ("index_concurrently_not_robust", "-- mig:no-transaction\nCREATE INDEX CONCURRENTLY t{n}_idx ON {t} (email);"),
    ("index_in_transaction", "BEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t{n}_idx ON {t} (email);\nCOMMIT;"),
    ("drop_index", "DROP INDEX {t}_email_idx;"),
    ("drop_index_concurrently", "-- mig:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS {t}_email_idx;"),
    ("reindex", "REINDEX INDEX {t}_email_idx;"),
    ("volatile_default", "ALTER TABLE {t} ADD COLUMN token{n} uuid DEFAULT gen_random_uuid();"),
    ("constant_default", "ALTER TABLE {t} ADD COLUMN active{n} boolean DEFAULT true;"),
    ("change_type", "ALTER TABLE {t} ALTER COLUMN score TYPE bigint;"),
    ("set_not_null", "ALTER TABLE {t} ALTER COLUMN email SET NOT NULL;"),
    ("set_not_null_checked", "ALTER TABLE {t} ADD CONSTRAINT {t}_email_nn{n} CHECK (email IS NOT NULL) NOT VALID;\n"
     "ALTER TABLE {t} VALIDATE CONSTRAINT {t}_email_nn{n};\nALTER TABLE {t} ALTER COLUMN email SET NOT NULL;"),
    ("foreign_key", "ALTER TABLE {t} ADD CONSTRAINT {t}_fk{n} FOREIGN KEY (owner_id) REFERENCES owners (id);"),
    ("foreign_key_not_valid",
     "ALTER TABLE {t} ADD CONSTRAINT {t}_fk{n} FOREIGN KEY (owner_id) REFERENCES owners (id) NOT VALID;"),
    ("check", "ALTER TABLE {t} ADD CONSTRAINT {t}_ck{n} CHECK (score >= 0);"),
    ("check_not_valid", "ALTER TABLE {t} ADD CONSTRAINT {t}_ck{n} CHECK (score >= 0) NOT VALID;"),
    ("unique", "ALTER TABLE {t} ADD CONSTRAINT {t}_uq{n} UNIQUE (email);"),
    ("unique_using_index", "ALTER TABLE {t} ADD CONSTRAINT {t}_uq{n} UNIQUE USING INDEX {t}_email_idx;"),
    ("primary_key", "ALTER TABLE {t} ADD PRIMARY KEY (id);"),
    ("vacuum_full", "VACUUM FULL {t};"),
    ("cluster", "CLUSTER {t} USING {t}_email_idx;"),
    ("detach", "ALTER TABLE events DETACH PARTITION events_{n};"),
    ("rename_column", "ALTER TABLE {t} RENAME COLUMN email TO email_address;"),
    ("rename_table", "ALTER TABLE {t} RENAME TO {t}_old;"),
    ("drop_column", "ALTER TABLE {t} DROP COLUMN score;"),
    ("drop_table", "DROP TABLE {t};"),
    ("drop_not_null", "ALTER TABLE {t} ALTER COLUMN email DROP NOT NULL;"),
    ("required_field", "ALTER TABLE {t} ADD COLUMN code{n} text NOT NULL;"),
    ("required_field_default", "ALTER TABLE {t} ADD COLUMN code{n} text NOT NULL DEFAULT '';"),
    ("enum_order", "ALTER TYPE mood ADD VALUE 'meh{n}' BEFORE 'happy';"),
    ("enum_append", "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh{n}';"),
    ("enum_rename", "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';"),
    ("schema_rename", "ALTER SCHEMA reporting RENAME TO reports;"),
    ("update_all", "UPDATE {t} SET score = 0;"),
    ("update_some", "UPDATE {t} SET score = 0 WHERE id BETWEEN 1 AND 1000;"),
    ("delete_all", "DELETE FROM {t};"),
    ("truncate_cascade", "TRUNCATE {t} CASCADE;"),
    ("timestamp", "CREATE TABLE n{n} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamp);"),
    ("char", "CREATE TABLE n{n} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code char(2));"),
    ("varchar", "CREATE TABLE n{n} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name varchar(40));"),
    ("serial", "CREATE TABLE n{n} (id bigserial PRIMARY KEY);"),
    ("int_key", "CREATE TABLE n{n} (id int PRIMARY KEY);"),
    ("json", "CREATE TABLE n{n} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, doc json);"),
    ("long_name", "CREATE TABLE n{n}_" + "x" * 64 + " (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"),
    ("uncommitted", "BEGIN;\nALTER TABLE {t} ADD COLUMN note{n} text;"),
    ("clean_table", "CREATE TABLE n{n} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text, at timestamptz);"),
    ("clean_column", "ALTER TABLE {t} ADD COLUMN note{n} text;"),
    ("index_new_table", "CREATE TABLE n{n} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text);\n"
     "CREATE INDEX n{n}_email_idx ON n{n} (email);"),
]

TABLES = [f"t{i}" for i in range(20)]


def base() -> str:
    tables = "\n".join(
        f"CREATE TABLE {t} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text, score int,"
        f" owner_id bigint);\nCREATE INDEX {t}_email_idx ON {t} (email);" for t in TABLES)
    return ("CREATE TYPE mood AS ENUM ('sad', 'happy');\nCREATE SCHEMA reporting;\n"
            "CREATE TABLE owners (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\n"
            "CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at);\n" + tables + "\n")


def main() -> None:
    folder, count = sys.argv[1], int(sys.argv[2])
    os.makedirs(folder, exist_ok=True)
    width = max(4, len(str(count)))

    def write(number: int, name: str, up: str) -> None:
        stem = os.path.join(folder, f"{number:0{width}d}_{name}")
        with open(stem + ".up.sql", "w") as f:
            f.write(up + "\n")
        with open(stem + ".down.sql", "w") as f:
            f.write("SELECT 1;\n")

    write(1, "base", base())
    for number in range(2, count + 1):
        name, sql = CASES[(number - 2) % len(CASES)]
        write(number, name, sql.format(t=TABLES[number % len(TABLES)], n=number))


if __name__ == "__main__":
    main()
