#!/usr/bin/env python3
"""png_stats.py IMAGE.png — print "<grey std> <distinct colours>" of a PNG.

A minimal PNG reader (8-bit RGB/RGBA/grey, non-interlaced: what Chromium's
--screenshot writes) using only zlib, so the report check needs no imaging
library. Exits 1 for a PNG it cannot read."""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace or ctype not in (0, 2, 6):
                raise ValueError("unsupported PNG layout")
            bpp = {0: 1, 2: 3, 6: 4}[ctype]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    w, h, bpp, rows = read_png(sys.argv[1])
    n, s, ss, colours = 0, 0.0, 0.0, set()
    for line in rows[::2]:
        for x in range(0, w * bpp, bpp * 2):
            px = bytes(line[x:x + min(bpp, 3)])
            g = sum(px) / len(px)
            n, s, ss = n + 1, s + g, ss + g * g
            if len(colours) < 5000:
                colours.add(px)
    mean = s / n
    print("%.2f %d" % (max(0.0, ss / n - mean * mean) ** 0.5, len(colours)))


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, zlib.error, struct.error) as e:
        print("png_stats: %s" % e, file=sys.stderr)
        sys.exit(1)
