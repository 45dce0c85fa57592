"""The neural voice: no waiting for it. Run under `make bench` (the first part needs the sink).

Printed:
- session start -> first word: a real voice session (`build_voice_session`, as `make run` starts
  one) on the PulseAudio null sink, from before it is built to the first sample of the welcome
  leaving the speaker; with an empty speech cache (the very first session) and a full one;
- render-ahead over a whole routine: each line of the default routine's main path (the user says
  start and lets it run) with the session time it is due, against the time its last sentence was
  rendered; with one core kept busy by another process all along (the recognizer's share);
- the render real-time factor (one thread, in the background, niced);
- a second session's renders (a new synthesizer on the same cache: should be 0);
- a reply's first sample: for the replies to every command during a hold, the time from the
  reply to its first piece's clip, neural (rendered ahead) against espeak-ng rendering it then;
  and for a reply the forecast could not know (a number of seconds left);
- resident memory the voice adds (voice loaded and every line rendered).
"""

from __future__ import annotations

import copy
import multiprocessing
import statistics
import tempfile
import threading
import time
from pathlib import Path

from audio_models.piper_tts import PiperSynthesizer
from audio_models.render_cache import RenderCache
from audio_models.tts import Pyttsx3Synthesizer
from intents.catalog import default_catalog
from voice_coach.core.coach import Coach
from voice_coach.core.events import Heard, Say, SessionStarted, Tick
from voice_coach.core.routine import load_routine
from voice_coach.runtime.speech_forecast import lines_ahead

FIRST_WORD_TARGET = 1.5
REPLY_SLACK = 0.030
COMMANDS = ["harder", "softer", "pause", "repeat", "help", "next_spot", "stretch", "pain", "stop"]


def main() -> None:
    _render_ahead()  # first: the session's own allocations would blur the memory figure
    _first_word()


def _first_word() -> None:
    import os

    from audio_models.cache_folder import CACHE_DIR_VARIABLE
    from voice_coach.runtime.assembly import build_voice_session
    from voice_coach.settings import Settings

    folder = tempfile.mkdtemp(prefix="voice-coach-voice-")
    os.environ[CACHE_DIR_VARIABLE] = folder
    print("session start -> first word of the welcome (voice load included):")
    for label in ("empty speech cache", "speech cache filled by the first"):
        coach = Coach(load_routine("upper-back"), seed=0, ask_ball=True)
        began = time.monotonic()
        session = build_voice_session(coach, Settings(), lambda _: None, lambda _: None)
        if session is None:
            print("  no sound server: run under `make bench`")
            return
        runner = threading.Thread(target=session.run, daemon=True)
        runner.start()
        first = None
        while first is None and time.monotonic() - began < 20:
            played = session.output.played_since(began)
            first = min((p.start for p in played), default=None)
            time.sleep(0.01)
        # Let the render-ahead thread finish, so the second start finds the cache full.
        synthesizer = session.output.synthesizer
        while not getattr(synthesizer, "ahead_done", True) and time.monotonic() - began < 300:
            time.sleep(0.2)
        session.stop()
        runner.join(timeout=60)
        session.close()
        took = (first - began) if first is not None else float("inf")
        verdict = "met" if took <= FIRST_WORD_TARGET else "NOT met"
        print(f"  {label}: {took:.2f} s (target <= {FIRST_WORD_TARGET} s: {verdict})")
    del os.environ[CACHE_DIR_VARIABLE]


def _busy(stop) -> None:  # type: ignore[no-untyped-def]
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def _render_ahead() -> None:
    routine = load_routine("upper-back")
    coach = Coach(routine, seed=0)
    due = _main_path(coach)
    folder = Path(tempfile.mkdtemp(prefix="voice-coach-voice-")) / "speech"
    rss_before = _rss_mb()
    voice = PiperSynthesizer(cache=RenderCache(folder))
    load = voice.load_seconds
    stop = multiprocessing.Event()
    busy = multiprocessing.Process(target=_busy, args=(stop,), daemon=True)
    busy.start()
    ready: dict[str, float] = {}
    began = time.monotonic()
    worker = voice.render_ahead(lambda: lines_ahead(coach, default_catalog().names()))
    pending = {text for _, text in due}
    while pending and worker.is_alive():
        now = time.monotonic() - began
        for text in [t for t in pending if voice.is_ready(t)]:
            ready[text] = now
            pending.discard(text)
        time.sleep(0.02)
    worker.join()
    finished = time.monotonic() - began
    stop.set()
    busy.join()
    for text in pending:
        ready[text] = finished if voice.is_ready(text) else float("inf")
    late = [(at, text, ready[text]) for at, text in due if ready[text] > at and at > 0]
    first_due = [text for at, text in due if at == 0]
    print(f"render ahead, default routine, one core kept busy by another process (voice loaded "
          f"in {load:.2f} s):")  # fmt: skip
    print(
        f"  {len(due)} lines on the main path; {len(first_due)} due at once (the welcome, "
        "rendered on demand as it is said)"
    )
    later = len(due) - len(first_due)
    print(f"  lines due later and ready before they were due: {later - len(late)} of {later}")
    for at, text, when in late[:5]:
        print(f"    late: {text[:50]!r} due at {at:.1f} s, ready at {when:.1f} s")
    slack = min((at - ready[text] for at, text in due if at > 0), default=0.0)
    print(
        f"  least slack: {slack:.1f} s; everything forecast ({voice.rendered} sentences) "
        f"rendered in {finished:.1f} s"
    )
    print(
        f"  render real-time factor (background thread, niced, beside the busy core): "
        f"{voice.render_seconds / max(voice.audio_seconds, 1e-9):.3f} "
        f"({voice.audio_seconds:.0f} s of speech in {voice.render_seconds:.1f} s)"
    )
    print(f"  resident memory added by the voice and its renders: {_rss_mb() - rss_before:.0f} MB")
    again = PiperSynthesizer(cache=RenderCache(folder))
    again.render_ahead(lambda: lines_ahead(coach, default_catalog().names())).join()
    print(f"  a second session's renders: {again.rendered} (cache hits {again.cache.hits})")
    _replies(coach, again)


def _replies(coach: Coach, voice: PiperSynthesizer) -> None:
    run = copy.deepcopy(coach)
    run.handle(SessionStarted(at=0.0))
    run.handle(Heard("start", "start", 0.0))
    while run.phase != "hold":
        run.handle(Tick(at=run.next_deadline() or run.now + 1))
    replies = []
    for intent in COMMANDS:
        said = copy.deepcopy(run).handle(Heard(intent, intent, run.now + 0.5))
        replies += [a.text for a in said if isinstance(a, Say)][:1]
    espeak = Pyttsx3Synthesizer(rate=160)
    neural_ms, espeak_ms = [], []
    for text in replies:
        started = time.perf_counter()
        voice.render(voice.split(text)[0])
        neural_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        espeak.render(text)
        espeak_ms.append((time.perf_counter() - started) * 1000)
    worst = max(n - e for n, e in zip(neural_ms, espeak_ms, strict=True))
    verdict = "met" if worst <= REPLY_SLACK * 1000 else "NOT met"
    print(f"reply -> its first piece's clip, {len(replies)} replies during a hold:")
    print(f"  neural (rendered ahead): median {statistics.median(neural_ms):.1f} ms, max "
          f"{max(neural_ms):.1f}; espeak-ng: median {statistics.median(espeak_ms):.1f} ms, max "
          f"{max(espeak_ms):.1f}")  # fmt: skip
    print(f"  worst neural - espeak: {worst:+.1f} ms (target <= +30 ms: {verdict})")
    fresh = PiperSynthesizer(cache=RenderCache(None))
    fresh.cache._writable = False  # nothing on disk: a reply the forecast did not know
    unknown = "Now 17 seconds left."
    started = time.perf_counter()
    fresh.render(unknown)
    print(f"  a reply the forecast did not know ({unknown!r}): rendered in "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")  # fmt: skip


def _main_path(coach: Coach) -> list[tuple[float, str]]:
    """Each line of the main path with the session time it is said (start said at 0)."""
    run = copy.deepcopy(coach)
    said = [(0.0, a.text) for a in run.handle(SessionStarted(at=0.0)) if isinstance(a, Say)]
    said += [(0.0, a.text) for a in run.handle(Heard("start", "start", 0.0)) if isinstance(a, Say)]
    while not run.finished and (at := run.next_deadline()) is not None:
        said += [(a.at, a.text) for a in run.handle(Tick(at=at)) if isinstance(a, Say)]
    first: dict[str, float] = {}
    for at, text in said:
        first.setdefault(text, at)
    return sorted((at, text) for text, at in first.items())


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    main()
