#!/usr/bin/env python3
"""ats_v3.py SIGNATURE CONTENT TOKEN_OUT [first|last]

Independent check of a CAdES archive-time-stamp-v3 (ETSI EN 319 122-1 §5.5.3), written
from the standard, not from ltsig's code: recompute the ats-hash-index-v3 of the chosen
archive time-stamp (the newest by default) from the SignedData certificates and CRLs and
the unsigned attributes before it, compare it with the one stored in the token, and print
the messageImprint the token must carry (hex, SHA-256) for `openssl ts -verify -digest`.
The token (DER) goes to TOKEN_OUT. Exit non-zero with a message when it does not match.
Used by tests/integration/test_cades_bt.sh and test_renew_archive.sh."""
import hashlib
import sys

if len(sys.argv) not in (4, 5) or (len(sys.argv) == 5 and sys.argv[4] not in ("first", "last")):
    sys.exit(__doc__.split("\n")[0])
data = open(sys.argv[1], "rb").read()
content = open(sys.argv[2], "rb").read()
which = sys.argv[4] if len(sys.argv) == 5 else "last"


def tlv(b, i):
    tag, j = b[i], i + 1
    n = b[j]; j += 1
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(b[j:j + k], "big"); j += k
    return tag, i, j, j + n          # tag, start, value start, end


def kids(b, t):
    out, i = [], t[2]
    while i < t[3]:
        k = tlv(b, i); out.append(k); i = k[3]
    return out


def raw(b, t):
    return b[t[1]:t[3]]


def signer_info(b):
    ci = tlv(b, 0); sd = kids(b, kids(b, ci)[1])[0]; sdk = kids(b, sd)
    return sdk, kids(b, sdk[-1])[0]


ATS3 = bytes([6, 6, 4, 0, 0x8d, 0x45, 2, 4])         # 0.4.0.1733.2.4
IDX3 = bytes([6, 7, 4, 0, 0x81, 0x95, 0x32, 1, 5])   # 0.4.0.19122.1.5
sdk, si = signer_info(data)
fields = [k for k in kids(data, si) if k[0] != 0xa1]
uattrs = kids(data, [k for k in kids(data, si) if k[0] == 0xa1][0])
found = [n for n, a in enumerate(uattrs) if raw(data, kids(data, a)[0]) == ATS3]
if not found:
    sys.exit("no archive-time-stamp-v3 in " + sys.argv[1])
pos = found[0] if which == "first" else found[-1]
token = raw(data, kids(data, kids(data, uattrs[pos])[1])[0])
H = lambda x: hashlib.sha256(x).digest()


def octs(hs):
    return b"".join(bytes([4, len(h)]) + h for h in hs)


def seq(x):
    n = len(x)
    if n < 0x80:
        return bytes([0x30, n]) + x
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x30, 0x80 | len(ln)]) + ln + x


def members(tag):
    t = next((k for k in sdk if k[0] == tag), None)
    return [raw(data, k) for k in kids(data, t)] if t else []


certs, crls = members(0xa0), members(0xa1)
vals = []
for a in uattrs[:pos]:
    typ, vset = kids(data, a)
    vals += [H(raw(data, typ) + raw(data, v)) for v in kids(data, vset)]
index = seq(seq(octs([H(c) for c in certs])) + seq(octs([H(c) for c in crls])) + seq(octs(vals)))
# the index stored in the token's unsigned attributes must be the same bytes
tsdk, tsi = signer_info(token)
tua = kids(token, [k for k in kids(token, tsi) if k[0] == 0xa1][0])
stored = next((raw(token, kids(token, kids(token, a)[1])[0]) for a in tua
               if raw(token, kids(token, a)[0]) == IDX3), None)
if stored != index:
    sys.exit("stored ats-hash-index-v3 differs from the recomputed one")
econtent_type = raw(data, kids(data, sdk[2])[0])
imprint = H(econtent_type + H(content) + b"".join(raw(data, f) for f in fields) + index)
open(sys.argv[3], "wb").write(token)
print(imprint.hex())
