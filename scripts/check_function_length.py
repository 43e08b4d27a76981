#!/usr/bin/env python3
"""Fails when a function in src/ runs over 80 lines, naming each one: a function a newcomer
cannot read in one screen is split into named steps (docs/ARCHITECTURE.md).

    python3 scripts/check_function_length.py [--max 80] [src]

Function extents come from Universal Ctags (Debian's universal-ctags), which reads C++
definitions with their first and last lines.
"""
import argparse
import json
import os
import subprocess
import sys


def functions(root):
    out = subprocess.run(
        ["ctags", "--output-format=json", "--fields=+ne", "--kinds-C++=f",
         "--languages=C++", "--langmap=C++:+.h", "-R", "-f", "-", root],
        capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        tag = json.loads(line)
        if tag.get("_type") == "tag" and tag.get("kind") == "function" and "end" in tag:
            yield tag


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=80)
    parser.add_argument("root", nargs="?",
                        default=os.path.join(os.path.dirname(__file__), "..", "src"))
    args = parser.parse_args()
    too_long = []
    for tag in functions(args.root):
        length = tag["end"] - tag["line"] + 1
        if length > args.max:
            too_long.append((os.path.relpath(tag["path"]), tag["line"], tag["name"], length))
    for path, line, name, length in sorted(too_long):
        print("%s:%d: %s is %d lines (at most %d)" % (path, line, name, length, args.max))
    return 1 if too_long else 0


if __name__ == "__main__":
    sys.exit(main())
