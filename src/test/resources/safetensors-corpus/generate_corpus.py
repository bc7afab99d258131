#!/usr/bin/env python3
"""Writes the safetensors seed corpus for resnet4j's reader tests (SafeTensorsCorpusTest, SafeTensorsFuzzTest).

Independent of the Java writer on purpose: files are assembled here byte by byte with struct, json and numpy, and
expected.json records what a correct reader must report for each (values, or the phrase of the error).
Deterministic: re-running produces identical files. Usage: python3 generate_corpus.py  (in this directory)
"""
import json
import math
import struct

import numpy as np

NP = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1",
      "BOOL": "u1"}


def encode(dtype, values):
    if dtype == "BF16":
        # bfloat16 = upper half of a float32; every value used here is exactly representable.
        f32 = np.array(values, dtype="<f4").view("<u4")
        assert np.all(f32 & 0xFFFF == 0), "BF16 test values must be exact"
        return (f32 >> 16).astype("<u2").tobytes()
    return np.array(values, dtype=NP[dtype]).tobytes()


def jsonable(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def build(tensors, metadata=None, *, order=None, pad=True, indent=None, metadata_first=False, ensure_ascii=True):
    """tensors: list of (name, dtype, shape, values), laid out in that order. order: header order (names)."""
    header, data, expected = {}, b"", []
    offsets = {}
    for name, dtype, shape, values in tensors:
        raw = encode(dtype, values) if values else b""
        offsets[name] = (dtype, shape, len(data), len(data) + len(raw), values)
        data += raw
    names = order or [t[0] for t in tensors]
    if metadata is not None and metadata_first:
        header["__metadata__"] = metadata
    for name in names:
        dtype, shape, b, e, values = offsets[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [b, e]}
        # The reader converts floats to float32; record what a float32 reader must see (F64 overflow: +-inf).
        with np.errstate(over="ignore"):
            vals = [jsonable(float(np.float32(v))) if dtype in ("F64", "F32", "F16", "BF16") else int(v) for v in values]
        expected.append({"name": name, "dtype": dtype, "shape": shape, "data_offsets": [b, e], "values": vals})
    if metadata is not None and not metadata_first:
        header["__metadata__"] = metadata
    text = json.dumps(header, indent=indent, separators=None if indent else (",", ":"), ensure_ascii=ensure_ascii)
    hb = text.encode("utf-8")
    if pad:
        hb += b" " * ((8 - len(hb) % 8) % 8)
    return struct.pack("<Q", len(hb)) + hb + data, {"metadata": metadata or {}, "tensors": expected}


def raw_file(header_text, data=b"", header_len=None, encoded=None):
    hb = encoded if encoded is not None else header_text.encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    return struct.pack("<Q", len(hb) if header_len is None else header_len) + hb + data


valid, invalid, files = {}, {}, {}

f, e = build([("a", "F32", [2, 3], [0, 1, 2, 3, 4, 5]), ("b", "F32", [3], [-1.5, 0.25, 1e-3]),
              ("c", "F32", [], [3.5])], {"format": "pt", "note": "g\u00e9n\u00e9r\u00e9"})
files["valid-small.safetensors"], valid["valid-small.safetensors"] = f, e

f, e = build([
    ("f64", "F64", [2], [1.5, -2.25e300]),
    ("f32", "F32", [2, 2], [0.1, -0.0, float("inf"), float("nan")]),
    ("f16", "F16", [6], [1.0, -2.0, 65504.0, 2.0 ** -24, 0.333251953125, float("-inf")]),
    ("bf16", "BF16", [4], [1.0, 3.140625, -0.0078125, 2.0 ** 100]),
    ("i64", "I64", [3], [-1, 2 ** 62, -2 ** 63]),
    ("i32", "I32", [2], [-2147483648, 7]),
    ("i16", "I16", [2], [-32768, 32767]),
    ("i8", "I8", [3], [-128, 0, 127]),
    ("u8", "U8", [3], [0, 200, 255]),
    ("bool", "BOOL", [3], [1, 0, 1]),
    ("empty", "F32", [0], []),
    ("empty3d", "I64", [2, 0, 3], []),
    ("scalar_i64", "I64", [], [42]),
    ("name with \"quote\" and \u00fcn\u00ef", "F32", [1, 1], [7.0]),
], {"\u043a\u043b\u044e\u0447": "\u0437\u043d\u0430\u0447\u0435\u043d\u0438\u0435", "quote\"": "tab\t"},
    metadata_first=True)
files["valid-all-dtypes.safetensors"], valid["valid-all-dtypes.safetensors"] = f, e

# Header order differs from data order, zero-size tensors at the start, middle and end, pretty-printed JSON,
# raw (unescaped) UTF-8 in a name, no padding, no metadata.
f, e = build([("z0", "F32", [0], []), ("w", "F32", [2], [1, 2]), ("z1", "BF16", [0, 4], []),
              ("v", "I32", [1], [-5]), ("\u00e9t\u00e9", "U8", [3], [1, 2, 3]), ("z2", "F64", [0], [])],
             None, order=["v", "z2", "\u00e9t\u00e9", "w", "z1", "z0"], pad=False, indent=2, ensure_ascii=False)
files["valid-unordered.safetensors"], valid["valid-unordered.safetensors"] = f, e

files["valid-empty.safetensors"] = raw_file("{}")
valid["valid-empty.safetensors"] = {"metadata": {}, "tensors": []}
files["valid-metadata-only.safetensors"] = raw_file('{"__metadata__":{"k":"v"}}')
valid["valid-metadata-only.safetensors"] = {"metadata": {"k": "v"}, "tensors": []}

e12 = b"\x00" * 12
bad = {
    "bad-overlap.safetensors": (raw_file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                                         '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', e12), "overlaps"),
    "bad-gap.safetensors": (raw_file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                                     '"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}', b"\x00" * 20),
                            "belong to no tensor"),
    "bad-trailing-bytes.safetensors": (raw_file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', e12),
                                       "belong to no tensor"),
    "bad-dtype.safetensors": (raw_file('{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}', b"\x00\x00"),
                              "unknown dtype 'F8_E4M3'"),
    "bad-utf8.safetensors": (raw_file(None, b"\x00" * 4,
                                      encoded=b'{"a\xff":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'),
                             "not valid UTF-8"),
    "bad-truncated.safetensors": (files["valid-small.safetensors"][:-5], "reach past the end of the data section"),
    "bad-duplicate-key.safetensors": (raw_file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                               '"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b"\x00" * 8),
                                      "duplicate key 'a'"),
    "bad-size-mismatch.safetensors": (raw_file('{"fc.weight":{"dtype":"F32","shape":[10,64],"data_offsets":[0,12]}}',
                                               e12),
                                      "tensor 'fc.weight': data_offsets [0, 12] hold 12 bytes but shape [10, 64] of F32 needs 2560"),
    "bad-header-length.safetensors": (raw_file('{}', header_len=1 << 40), "above the limit"),
    "bad-metadata-value.safetensors": (raw_file('{"__metadata__":{"k":1}}'), "is not a string"),
    "bad-extra-field.safetensors": (raw_file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"offset":0}}',
                                             b"\x00" * 4), "unexpected field 'offset'"),
    # 2^62 * 4 = 2^64 elements: wraps to 0 in unchecked 64-bit arithmetic, which would match the empty range.
    "bad-overflow.safetensors": (raw_file('{"a":{"dtype":"U8","shape":[4611686018427387904,4],"data_offsets":[0,0]}}'),
                                 "overflows a 64-bit integer"),
    "bad-empty-inside.safetensors": (raw_file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                                              '"z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}', b"\x00" * 8),
                                     "tensor 'z' (data_offsets [4, 4]) overlaps tensor 'a'"),
    "bad-not-object.safetensors": (raw_file('[{"dtype":"F32","shape":[1],"data_offsets":[0,4]}]', b"\x00" * 4),
                                   "not a JSON object"),
}
for name, (content, phrase) in bad.items():
    files[name] = content
    invalid[name] = phrase

for name, content in files.items():
    with open(name, "wb") as out:
        out.write(content)
with open("expected.json", "w", encoding="utf-8") as out:
    json.dump({"valid": valid, "invalid": invalid}, out, indent=1, ensure_ascii=False)
    out.write("\n")
