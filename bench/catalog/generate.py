#!/usr/bin/env python3
"""Writes N pair-layout migrations (2N files) into a folder, deterministically."""
import os
import random
import sys

count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
folder = sys.argv[1]
os.makedirs(folder, exist_ok=True)
rng = random.Random(42)
for number in range(1, count + 1):
    table = f"table_{number}"
    columns = ",\n".join(f"    column_{c} TEXT NOT NULL DEFAULT ''" for c in range(rng.randint(5, 15)))
    up = f"CREATE TABLE {table} (\n    id INTEGER PRIMARY KEY,\n{columns}\n);\nCREATE INDEX {table}_idx ON {table} (column_0);\n"
    down = f"DROP INDEX {table}_idx;\nDROP TABLE {table};\n"
    stem = os.path.join(folder, f"{number:06d}_create_{table}")
    with open(stem + ".up.sql", "w") as handle:
        handle.write(up)
    with open(stem + ".down.sql", "w") as handle:
        handle.write(down)
