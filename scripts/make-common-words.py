"""Regenerate audio_models/data/common-words.txt from the pocketsphinx wheel's own English model.

    .venv/bin/python scripts/make-common-words.py [COUNT]

The recognizer's language model needs somewhere for chatter to go (see recognizers/ngram.py):
the COUNT most frequent words of the wheel's general language model that its dictionary can
pronounce, each with its log10 unigram probability. Kept as a small text file because reading
the 27 MB general model at every start would cost more than the whole load-time budget.
"""

import os
import re
import sys
from pathlib import Path

from pocketsphinx import Config, LogMath, NGramModel, get_model_path

OUT = Path(__file__).resolve().parent.parent / "audio_models" / "data" / "common-words.txt"


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    model = os.path.join(get_model_path(), "en-us")
    logmath = LogMath()
    general = NGramModel(Config(), logmath, os.path.join(model, "en-us.lm.bin"))
    with open(os.path.join(model, "cmudict-en-us.dict")) as dictionary:
        words = {line.split()[0] for line in dictionary if line.strip()}
    words = {w for w in words if re.fullmatch(r"[a-z][a-z']*", w)}
    scored = sorted(((logmath.log_to_log10(general.prob([w])), w) for w in words), reverse=True)[
        :count
    ]
    header = "# word\tlog10 probability; made by scripts/make-common-words.py\n"
    OUT.write_text(header + "".join(f"{w}\t{p:.4f}\n" for p, w in scored))
    print(f"wrote {len(scored)} words to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
