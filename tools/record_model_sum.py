#!/usr/bin/env python3
"""Record a model archive's SHA-256 in ``phonemes/recognizers/model_sums.json`` (for maintainers).

    .venv/bin/python tools/record_model_sum.py allosaurus uni2005 [--file ARCHIVE] [--url URL]

Run it on a machine that can reach the model's server, once per release of the model, and commit
the result: every user's download is then checked against this sum. ``--file`` hashes an archive
you already have (e.g. downloaded and checked against the publisher's own sum) instead of
downloading it. Prints the sum it recorded.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from urllib.request import urlopen

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMS = os.path.join(ROOT, "phonemes", "recognizers", "model_sums.json")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("family", help="e.g. allosaurus")
    ap.add_argument("name", help="e.g. uni2005")
    ap.add_argument("--file", help="hash this archive instead of downloading it")
    ap.add_argument("--url", help="where the model is downloaded from (default: the recorded URL)")
    args = ap.parse_args(argv)
    sys.path.insert(0, os.path.dirname(ROOT))
    from lipsync.phonemes.recognizers.downloads import sha256_file

    with open(SUMS, encoding="utf-8") as fh:
        sums = json.load(fh)
    entry = sums.setdefault(args.family, {}).setdefault(args.name, {})
    url = args.url or entry.get("url")
    if not url:
        raise SystemExit("give --url: no URL is recorded for this model")
    if args.file:
        digest = sha256_file(args.file)
    else:
        with tempfile.NamedTemporaryFile(delete=False) as tmp:
            with urlopen(url, timeout=120) as resp:
                for block in iter(lambda: resp.read(1 << 20), b""):
                    tmp.write(block)
        digest = sha256_file(tmp.name)
        os.remove(tmp.name)
    entry.update(url=url, sha256=digest, note="recorded by tools/record_model_sum.py")
    with open(SUMS, "w", encoding="utf-8") as fh:
        json.dump(sums, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    print(f"{args.family} {args.name}: {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
