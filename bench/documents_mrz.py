"""bench/documents helper: reads the MRZ of the passport images with idgate over HTTP
(`idgate BASE KEY DIR ROUNDS`) or with PassportEye (`passporteye DIR ROUNDS`), and prints one
RESULT line: characters right, lines exact, check digits valid and time per image (p50, mean).
Characters are compared position by position with the `.mrz.txt` next to each image (a missing
or short line counts its characters as wrong)."""

import base64, glob, json, os, statistics, sys, time, urllib.request


def expected(dir_):
    out = []
    for img in sorted(glob.glob(os.path.join(dir_, "*.jpg"))):
        txt = img[: -len(".jpg")] + ".mrz.txt"
        if os.path.exists(txt):
            lines = [l.strip() for l in open(txt) if l.strip()]
            out.append((img, lines))
    if not out:
        sys.exit(f"no *.jpg with .mrz.txt in {dir_}")
    return out


def score(want, got):
    chars = sum(len(w) for w in want)
    right = 0
    for i, w in enumerate(want):
        g = got[i] if i < len(got) else ""
        right += sum(1 for a, b in zip(w, g) if a == b)
    lines_exact = sum(1 for i, w in enumerate(want) if i < len(got) and got[i] == w)
    return right, chars, lines_exact, len(want)


def idgate_read(base, key, path):
    body = json.dumps({"document_b64": base64.b64encode(open(path, "rb").read()).decode(),
                       "template": "passport", "file_type": "jpeg"}).encode()
    req = urllib.request.Request(base + "/v1/documents/read", body, method="POST",
                                 headers={"Authorization": "Bearer " + key,
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            v = json.load(r)
    except urllib.error.HTTPError as e:
        return [], False, json.load(e).get("error", {}).get("code")
    m = v.get("mrz") or {}
    return m.get("lines", []), bool(m.get("valid")), None


def passporteye_read(path):
    from passporteye import read_mrz
    mrz = read_mrz(path)
    if mrz is None:
        return [], False, "no_mrz"
    lines = [l for l in mrz.aux.get("text", "").split("\n") if l.strip()]
    d = mrz.to_dict()
    checks = ["valid_number", "valid_date_of_birth", "valid_expiration_date", "valid_composite"]
    if mrz.mrz_type == "TD3":
        checks.append("valid_personal_number")
    return lines, all(d.get(c) for c in checks), None


def main():
    mode = sys.argv[1]
    if mode == "idgate":
        base, key, dir_, rounds = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
        read = lambda p: idgate_read(base, key, p)
    else:
        dir_, rounds = sys.argv[2], int(sys.argv[3])
        read = passporteye_read
    docs = expected(dir_)
    read(docs[0][0])  # warm-up, not counted
    times, right, chars, exact, lines, valid, errors = [], 0, 0, 0, 0, 0, {}
    for rnd in range(rounds):
        for path, want in docs:
            t = time.perf_counter()
            got, ok, err = read(path)
            times.append(time.perf_counter() - t)
            if rnd:
                continue  # accuracy from the first round; time from every round
            r, c, e, n = score(want, got)
            right, chars, exact, lines, valid = right + r, chars + c, exact + e, lines + n, valid + ok
            if err:
                errors[os.path.basename(path)] = err
            if e != n:
                print(f"  {mode} {os.path.basename(path)}: {got!r}", file=sys.stderr)
    print(f"RESULT images={len(docs)} chars_right={right}/{chars} ({100.0 * right / chars:.1f}%) "
          f"lines_exact={exact}/{lines} check_digits_valid={valid}/{len(docs)} "
          f"ms_per_image_p50={1000 * statistics.median(times):.0f} "
          f"ms_per_image_mean={1000 * statistics.mean(times):.0f} reads={len(times)}"
          + (f" errors={errors}" if errors else ""))


if __name__ == "__main__":
    main()
