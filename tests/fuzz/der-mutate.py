#!/usr/bin/env python3
"""tests/fuzz/der-mutate.py SEED OUTDIR COUNT [--mode-byte] [--prefix-parts N] [--seed S]

A structure-aware companion of libFuzzer for the DER targets: parse the DER in SEED (after
skipping a mode byte with --mode-byte and N length-prefixed parts with --prefix-parts, the
fuzz_common.h layout: fuzz_cades, fuzz_ocsp and fuzz_crl have a mode byte, fuzz_tsa not),
then write COUNT variants, each with one to three mutations of
random TLV nodes, re-encoded with correct lengths all the way up, so that the outer
structure still parses and the mutation reaches the inner checks: content replaced by
random bytes, node deleted, duplicated or swapped with a sibling, tag changed, INTEGER set
to 0 / -1 / huge, OID changed, content truncated or extended, time strings changed.
Replay the folder with a fuzz_<target>_replay binary (ideally of the ASan build)."""
import os
import random
import sys


def parse(buf, off, end, depth=0):
    """A list of nodes [tag_bytes, children or None, content bytes]."""
    nodes = []
    while off < end:
        t0 = off
        tag = buf[off]
        off += 1
        if tag & 0x1F == 0x1F:
            while off < end and buf[off] & 0x80:
                off += 1
            off += 1
        tagb = buf[t0:off]
        if off >= end:
            raise ValueError("short")
        ln = buf[off]
        off += 1
        if ln & 0x80:
            k = ln & 0x7F
            if k == 0 or k > 4 or off + k > end:
                raise ValueError("length")
            ln = int.from_bytes(buf[off:off + k], "big")
            off += k
        if off + ln > end:
            raise ValueError("overrun")
        content = buf[off:off + ln]
        kids = None
        if tagb[0] & 0x20 and depth < 40:
            try:
                kids = parse(buf, off, off + ln, depth + 1)
            except ValueError:
                kids = None
        nodes.append([tagb, kids, content])
        off += ln
    return nodes


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def encode(nodes):
    out = bytearray()
    for tagb, kids, content in nodes:
        body = encode(kids) if kids is not None else content
        out += tagb + enc_len(len(body)) + body
    return bytes(out)


def all_nodes(nodes, acc, parent=None):
    for i, n in enumerate(nodes):
        acc.append((nodes, i))
        if n[1] is not None:
            all_nodes(n[1], acc, n)
    return acc


def mutate(tree, rnd):
    spots = all_nodes(tree, [])
    if not spots:
        return
    lst, i = rnd.choice(spots)
    node = lst[i]
    tagb, kids, content = node
    body = encode(kids) if kids is not None else content
    m = rnd.randrange(12)
    if m == 0:  # random content, same length
        node[1] = None
        node[2] = os.urandom(len(body)) if body else b""
    elif m == 1 and len(lst) > 1:
        del lst[i]
    elif m == 2:
        lst.insert(i, [tagb, None, body])
    elif m == 3 and len(lst) > 1:
        j = rnd.randrange(len(lst))
        lst[i], lst[j] = lst[j], lst[i]
    elif m == 4:
        node[0] = bytes([rnd.choice([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0C, 0x13, 0x17,
                                     0x18, 0x30, 0x31, 0xA0, 0xA1, 0xA2, 0xA3, 0x80, 0x81])])
    elif m == 5 and tagb == b"\x02":
        node[2] = rnd.choice([b"\x00", b"\xff", b"\x7f" + b"\xff" * 40, b"\x80", b"",
                              b"\x00\x00\x01"])
        node[1] = None
    elif m == 6 and tagb == b"\x06":
        node[2] = rnd.choice([b"\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02", b"\x55\x1d\x13",
                              b"\x2b\x06\x01\x05\x05\x07\x03\x08", b"\x80\x80\x80", b"",
                              b"\x60\x86\x48\x01\x65\x03\x04\x02\x01", os.urandom(9)])
    elif m == 7:  # truncate
        node[1] = None
        node[2] = body[: rnd.randrange(len(body) + 1)]
    elif m == 8:  # extend
        node[1] = None
        node[2] = body + os.urandom(rnd.randrange(1, 40))
    elif m == 9 and tagb in (b"\x17", b"\x18"):
        node[2] = rnd.choice([b"99991231235959Z", b"19700101000000Z", b"20261126",
                              b"491231235959Z", b"500101000000Z", b"2026112600000Z",
                              b"20261126000000+0900"])
    elif m == 10 and kids is not None and kids:
        node[1] = kids[: rnd.randrange(len(kids))]
    elif m == 11:  # empty
        node[1] = None
        node[2] = b""


def main():
    a = sys.argv[1:]
    if len(a) < 3:
        sys.exit(__doc__)
    seed, outdir, count = a[0], a[1], int(a[2])
    parts = int(a[a.index("--prefix-parts") + 1]) if "--prefix-parts" in a else 0
    rnd = random.Random(int(a[a.index("--seed") + 1]) if "--seed" in a else 1)
    data = open(seed, "rb").read()
    off = 1 if "--mode-byte" in a else 0
    if True:
        for _ in range(parts):
            n = int.from_bytes(data[off:off + 2], "big")
            off += 2 + n
    prefix, der = data[:off], data[off:]
    try:
        parse(der, 0, len(der))
    except ValueError:
        sys.exit("der-mutate.py: %s: not DER after the prefix" % seed)
    os.makedirs(outdir, exist_ok=True)
    base = os.path.basename(seed)
    for k in range(count):
        tree = parse(der, 0, len(der))
        for _ in range(rnd.randint(1, 3)):
            mutate(tree, rnd)
        with open(os.path.join(outdir, "%s-%05d" % (base, k)), "wb") as f:
            f.write(prefix + encode(tree))


if __name__ == "__main__":
    main()
