"""bench/faces, Python side: the same 1:1 validations with ageitgey's face_recognition at its
default settings (load_image_file, face_locations: HOG with 1 upsample, face_encodings: 5-point
model, 1 jitter, compare at tolerance 0.6) in P processes for S seconds. Registration encodings
are computed first and not timed.
usage: faces_py.py FACES_DIR SECONDS PROCESSES"""
import multiprocessing as mp
import sys
import time

from faces_photos import photo_set


def encode(path):
    import face_recognition
    img = face_recognition.load_image_file(path)
    locs = face_recognition.face_locations(img)
    enc = face_recognition.face_encodings(img, known_face_locations=locs)
    return enc[0] if len(enc) == 1 else None


def run(args):
    i, procs, probes, refs, stop_at = args
    import face_recognition
    done = passed = 0
    lat = []
    n = i
    while time.time() < stop_at:
        label, path = probes[n % len(probes)]
        n += procs
        t0 = time.perf_counter()
        e = encode(path)
        ok = e is not None and face_recognition.compare_faces([refs[label]], e)[0]
        lat.append(time.perf_counter() - t0)
        done += 1
        passed += bool(ok)
    return done, passed, lat


if __name__ == "__main__":
    faces_dir, seconds, procs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    registrations, probes = photo_set(faces_dir)
    refs = {label: e for label, e in ((l, encode(p)) for l, p in registrations.items()) if e is not None}
    probes = [(label, p) for label, p in probes if label in refs]
    start = time.time()
    with mp.Pool(procs) as pool:
        res = pool.map(run, [(i, procs, probes, refs, start + seconds) for i in range(procs)])
    elapsed = time.time() - start
    done = sum(r[0] for r in res)
    lat = sorted(x for r in res for x in r[2])
    p50 = lat[len(lat) // 2] * 1000 if lat else float("nan")
    print(f"PY_RESULT validations={done} seconds={elapsed:.1f} per_s={done / elapsed:.2f} p50_ms={p50:.0f} "
          f"genuine_pass={sum(r[1] for r in res)}/{done}")
