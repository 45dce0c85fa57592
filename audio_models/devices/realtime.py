"""Real-time scheduling for the audio callback threads, where the system allows it.

A callback that runs late starves the sound server's buffer; through the ALSA pulse plugin each
underrun delays everything played after it (the echo canceller loses the coach's voice) and can
stall the stream for two seconds. Sound servers and JACK clients run their audio threads at a
low real-time priority for this reason; an ordinary process may not (no RLIMIT_RTPRIO, no rtkit),
and then the callbacks stay at normal priority.
"""

from __future__ import annotations

import os

AUDIO_PRIORITY = 4  # above every ordinary process, just below PulseAudio's own threads (5)


def promote_current_thread() -> bool:
    """Move the calling thread to FIFO real-time scheduling; False when the system refuses."""
    try:
        # pid 0 is the calling thread on Linux, not the whole process.
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(AUDIO_PRIORITY))
    except (AttributeError, OSError):  # not Linux, or not permitted
        return False
    return True
