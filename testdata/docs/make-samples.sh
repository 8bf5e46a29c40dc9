#!/usr/bin/env bash
# make-samples.sh — regenerate the derived sample inputs in this folder (they are committed):
#   sample.pdf         tiny 1-page PDF 1.7, classic xref table, normalised by qpdf
#   sample-objstm.pdf  the same with object streams and a cross-reference stream
#   sample.bin         4096 deterministic bytes: SHA-256("ltsig sample.bin" || be32(i)), i = 0..127
# prescription.xml and sample.txt are written by hand. Needs python3 and qpdf; the outputs are
# byte-for-byte reproducible (qpdf --deterministic-id).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp/raw.pdf" <<'PY'
import sys
content = b"BT\n/F1 18 Tf\n72 720 Td\n(ltsig sample contract) Tj\nET\n"
objs = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
    b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
    b"<< /Title (ltsig sample contract) /Producer (ltsig testdata) >>",
]
out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
offsets = []
for num, body in enumerate(objs, 1):
    offsets.append(len(out))
    out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for off in offsets:
    out += b"%010d 00000 n \n" % off
out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(sys.argv[1], "wb").write(out)
PY

qpdf --object-streams=disable --compress-streams=n --deterministic-id --force-version=1.7 \
    "$tmp/raw.pdf" sample.pdf
qpdf --object-streams=generate --compress-streams=n --deterministic-id --force-version=1.7 \
    sample.pdf sample-objstm.pdf
qpdf --check sample.pdf >/dev/null
qpdf --check sample-objstm.pdf >/dev/null

python3 - sample.bin <<'PY'
import hashlib, sys
data = b"".join(hashlib.sha256(b"ltsig sample.bin" + i.to_bytes(4, "big")).digest() for i in range(128))
assert len(data) == 4096
open(sys.argv[1], "wb").write(data)
PY
echo "make-samples.sh: wrote sample.pdf sample-objstm.pdf sample.bin"
