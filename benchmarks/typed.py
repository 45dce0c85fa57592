"""How the intent matcher does on typed phrasings nobody wrote into the catalog.

    python benchmarks/typed.py [--errors]

The lists below are held out: written before any tuning, kept out of intents/catalog.toml and
of benchmarks/devset.py, and never to be copied into either (that would make this figure a test
of the catalog, not of the matcher). Prints how many command phrasings find their intent, and
how many non-commands (chatter, remarks, talk to someone else) are taken for a command.
"""

from __future__ import annotations

import argparse
import sys

from intents.matcher import IntentMatcher

PHRASINGS: dict[str, tuple[str, ...]] = {
    "start": (
        "let's get this show on the road", "fire it up", "time to begin", "off we go",
        "begin when ready",
    ),
    "harder": (
        "squeeze harder", "can you go deeper", "too gentle", "i want it firmer",
        "more force please",
    ),
    "softer": (
        "too intense", "that's too rough", "go lighter please", "less force", "ease it off a bit",
    ),
    "next_spot": (
        "let's do another spot", "change spots", "switch spots", "different area please",
        "next spot now",
    ),
    "stretch": (
        "i need a stretch", "could i have a little stretch", "let's loosen up with a stretch",
        "can i do a stretch", "time to stretch",
    ),
    "pause": ("hold up", "wait a sec", "pause for a bit", "one moment please", "pause a second"),
    "resume": (
        "let's keep at it", "ok carry on", "resume now", "continue now please",
        "let's get back to it",
    ),
    "repeat": (
        "one more time", "could you say that again", "what was that you said", "say it once more",
        "i missed that",
    ),
    "stop": (
        "that's all for today", "i've had enough", "end it now", "switch it off",
        "i want to finish",
    ),
    "help": (
        "what commands do you know", "how do i use this", "what can you do",
        "what are my choices", "help me out",
    ),
    "pain": ("owww", "that's really sore", "ow that stings", "that's agony", "hurts a lot"),
    "numbness": (
        "my arm has gone numb", "i feel tingling", "my fingertips feel numb",
        "pins and needles again", "numb hand",
    ),
}  # fmt: skip

NON_COMMANDS: tuple[str, ...] = (
    "the weather is lovely", "my sister called earlier", "what's for lunch", "i like this music",
    "the cat is on the sofa", "did you lock the door", "i'll be right there", "see you tomorrow",
    "the kettle is boiling", "pass me the remote", "it's sunny outside", "my phone buzzed",
    "we need more milk", "i'm watching a film later", "the neighbours are noisy",
    "where are my slippers", "good morning", "how are you doing", "nice shoes",
    "the bus is late again",
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    matcher = IntentMatcher()
    right = total = accepted = 0
    errors = []
    for intent, texts in PHRASINGS.items():
        for text in texts:
            got = matcher.match(text).intent
            total += 1
            right += got == intent
            if got != intent:
                errors.append(f"  {text!r} ({intent}) -> {got}")
    for text in NON_COMMANDS:
        got = matcher.match(text).intent
        accepted += got is not None
        if got is not None:
            errors.append(f"  {text!r} (none) -> {got}")
    print(f"typed phrasings not in the catalog: {right} of {total} right ({right / total:.1%})")
    print(f"typed non-commands taken for a command: {accepted} of {len(NON_COMMANDS)}")
    if args.errors:
        print("\n".join(errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
