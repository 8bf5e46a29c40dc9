#!/usr/bin/env python3
"""Write a one-page PDF of about MB mebibytes: the page shows a line of text and draws a
large uncompressed gray image (/Im1, object 6) that makes up the size. Streams its output.

usage: make_large_pdf.py OUT MB"""
import sys
out, mb = sys.argv[1], int(sys.argv[2])
n = mb << 20
objs = []
f = open(out, "wb")
f.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
offs = {}
def obj(num, body):
    offs[num] = f.tell()
    f.write(b"%d 0 obj\n" % num + body + b"\nendobj\n")
obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
obj(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
obj(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>")
c = b"BT /F1 18 Tf 72 720 Td (large document) Tj ET\n"
obj(4, b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream")
obj(5, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
# a gray image n bytes: width 4096, height n // 4096
w = 4096; h = n // w
offs[6] = f.tell()
f.write(b"6 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n" % (w, h, w * h))
row = bytes((i * 7) & 0xff for i in range(w))
chunk = row * 256
left = w * h
while left > 0:
    k = min(left, len(chunk)); f.write(chunk[:k]); left -= k
f.write(b"\nendstream\nendobj\n")
x = f.tell()
f.write(b"xref\n0 7\n0000000000 65535 f\r\n")
for i in range(1, 7):
    f.write(b"%010d 00000 n\r\n" % offs[i])
f.write(b"trailer\n<< /Size 7 /Root 1 0 R /ID [<00112233445566778899aabbccddeeff><00112233445566778899aabbccddeeff>] >>\nstartxref\n%d\n%%%%EOF\n" % x)
f.close()
