"""Shared by bench/faces: the photo set (single-face labelled photos of shared/testdata/faces),
split into one registration photo per person and the probes validated against it, and the
"1 MP" photos (0.8 to 1.25 megapixels) the latency target is stated for."""
import csv
import os
import struct


def photo_set(faces_dir):
    people = {}
    with open(os.path.join(faces_dir, "labels.csv")) as f:
        for row in csv.DictReader(f):
            if row["kind"] != "single_face":
                continue
            people.setdefault(row["label"], []).append(os.path.join(faces_dir, row["file"]))
    registrations, probes = {}, []
    for label, files in sorted(people.items()):
        files.sort()
        if len(files) < 2:
            continue
        registrations[label] = files[0]
        probes += [(label, f) for f in files[1:]]
    return registrations, probes


def dimensions(path):
    """(width, height) from a JPEG's SOF or a PNG's IHDR (standard library only)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return struct.unpack(">II", data[16:24])
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            raise ValueError(f"{path}: not a JPEG marker at {i}")
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    raise ValueError(f"{path}: no JPEG frame header")


def one_megapixel(registrations, probes):
    """(label, path) of every photo of the set with 0.8 to 1.25 megapixels."""
    photos = list(registrations.items()) + probes
    return [(label, p) for label, p in photos if 0.8e6 <= pixels(p) <= 1.25e6]


def pixels(path):
    w, h = dimensions(path)
    return w * h
