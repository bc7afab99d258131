#!/usr/bin/env python3
"""compare.py A NAME_A B NAME_B ATOL: max |A[NAME_A] - B[NAME_B]| <= ATOL for two F32 safetensors tensors."""
import json, struct, sys

def tensor(path, name):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        e = header[name]
        assert e["dtype"] == "F32", e
        b, end = e["data_offsets"]
        f.seek(8 + n + b)
        data = f.read(end - b)
    return e["shape"], struct.unpack("<%df" % (len(data) // 4), data)

sa, a = tensor(sys.argv[1], sys.argv[2])
sb, b = tensor(sys.argv[3], sys.argv[4])
atol = float(sys.argv[5])
assert sa == sb, (sa, sb)
diff = max(abs(x - y) for x, y in zip(a, b))
print("%s vs %s: shape %s, max abs diff %.3g (atol %g)" % (sys.argv[2], sys.argv[4], sa, diff, atol))
sys.exit(0 if diff <= atol else 1)
