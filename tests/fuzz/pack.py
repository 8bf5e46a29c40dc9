#!/usr/bin/env python3
"""tests/fuzz/pack.py OUT [--mode N] PART... LAST — write a fuzz input made of parts:
an optional mode byte, then each PART as a 2-byte big-endian length and its bytes, then
LAST as it is (fuzz_common.h: fz_take). A PART or LAST of "-" is empty; "@TEXT" is the
literal text instead of a file name."""
import sys


def data(arg):
    if arg == "-":
        return b""
    if arg.startswith("@"):
        return arg[1:].encode()
    with open(arg, "rb") as f:
        return f.read()


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    out = args.pop(0)
    blob = b""
    if args[0] == "--mode":
        blob += bytes([int(args[1]) & 0xFF])
        args = args[2:]
    *parts, last = args
    for p in parts:
        d = data(p)
        if len(d) > 0xFFFF:
            sys.exit("pack.py: part %s is over 65535 bytes" % p)
        blob += len(d).to_bytes(2, "big") + d
    blob += data(last)
    with open(out, "wb") as f:
        f.write(blob)


if __name__ == "__main__":
    main()
