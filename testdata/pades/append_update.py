#!/usr/bin/env python3
"""Append a hand-made incremental update (ISO 32000-2 §7.5.6) to a PDF, as an attacker or
another tool would: the original bytes stay, new or redefined objects follow with a classic
cross-reference section whose trailer has /Prev to the last one.

usage: append_update.py IN OUT SPEC...
  SPEC  N=BODY        object N (an existing number redefines it; "new" = the next free one)
        N=@stream:DATA  a stream object with DATA (\\n escapes allowed) and its /Length
        N=@xstream:KEYS|DATA  the same with more dictionary KEYS
  Bodies may name the objects created before them as {new0}, {new1}, ...
The trailer (/Root, /Info, /ID, /Size) is read with `qpdf --show-object=trailer`.
Prints the numbers given to "new" objects, one a line."""
import re
import subprocess
import sys


def main():
    src, dst, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    data = open(src, "rb").read()
    trailer = subprocess.run(["qpdf", "--show-object=trailer", src], check=True,
                             capture_output=True, text=True).stdout
    size = int(re.search(r"/Size (\d+)", trailer).group(1))
    root = re.search(r"/Root (\d+ \d+ R)", trailer).group(1)
    info = re.search(r"/Info (\d+ \d+ R)", trailer)
    ids = re.search(r"/ID \[ *(<[0-9a-fA-F]*>) *(<[0-9a-fA-F]*>) *\]", trailer)
    sx = data.rstrip().rfind(b"startxref")
    prev = int(data[sx + 9:].split()[0])

    out = bytearray(data)
    if not out.endswith(b"\n"):
        out += b"\n"
    ents = {}
    new = []
    for spec in specs:
        num, body = spec.split("=", 1)
        if num == "new":
            num = size
            size += 1
            new.append(num)
        num = int(num)
        body = body.format(**{"new%d" % i: n for i, n in enumerate(new)})
        ents[num] = len(out)
        out += b"%d 0 obj\n" % num
        if body.startswith("@stream:") or body.startswith("@xstream:"):
            keys, s = "", body.split(":", 1)[1]
            if body.startswith("@xstream:"):
                keys, s = s.split("|", 1)
            s = s.encode("latin-1").decode("unicode_escape").encode("latin-1")
            out += b"<< %s /Length %d >>\nstream\n" % (keys.encode(), len(s)) + s + b"\nendstream"
        else:
            out += body.encode("latin-1")
        out += b"\nendobj\n"
        size = max(size, num + 1)
    xref = len(out)
    out += b"xref\n"
    for num in sorted(ents):
        out += b"%d 1\n%010d 00000 n\r\n" % (num, ents[num])
    out += b"trailer\n<< /Size %d /Root %s /Prev %d" % (size, root.encode(), prev)
    if info:
        out += b" /Info " + info.group(1).encode()
    if ids:
        out += b" /ID [" + ids.group(1).encode() + ids.group(2).encode() + b"]"
    out += b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    open(dst, "wb").write(out)
    for n in new:
        print(n)


if __name__ == "__main__":
    main()
