"""Shared by bench/faces: the photo set (single-face labelled photos of shared/testdata/faces),
split into one registration photo per person and the probes validated against it."""
import csv
import os


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
