"""`voice-coach history --plot`: pressure per spot across sessions, pain marked.

Imported only for ``--plot``: matplotlib takes a moment to load and no other command needs it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a file, never a window: this runs in terminals without a display

import matplotlib.pyplot as plt

from voice_coach.core.routine import load_routine
from voice_coach.runtime.history_read import SessionRow


def level_order(sessions: list[SessionRow]) -> list[str]:
    """Level names lightest first: the built-in routine's order, then any others as met."""
    order = [pressure.name for pressure in load_routine("upper-back").pressures]
    for session in sessions:
        for spot in session.spots:
            for name in (*spot.levels, spot.final_level, *spot.pain_levels):
                if name not in order:
                    order.append(name)
    return order


def plot(sessions: list[SessionRow], path: Path) -> None:
    """Draw each spot's final level per session (a line) with pain reports (red crosses)."""
    order = level_order(sessions)
    height = {name: index for index, name in enumerate(order)}
    worked = [s for s in sessions if s.spots]
    spot_ids = sorted({spot.spot_id for s in worked for spot in s.spots})
    figure, axes = plt.subplots(figsize=(10, 5), dpi=100)
    try:
        for spot_id in spot_ids:
            xs, ys = [], []
            for x, session in enumerate(worked):
                for spot in session.spots:
                    if spot.spot_id != spot_id:
                        continue
                    xs.append(x)
                    ys.append(height[spot.final_level])
                    for level in spot.pain_levels:
                        axes.scatter([x], [height[level]], marker="x", color="red", zorder=3)
            axes.plot(xs, ys, marker="o", label=spot_id)
        axes.scatter([], [], marker="x", color="red", label="sharp pain")
        axes.set_yticks(range(len(order)), order)
        axes.set_xticks(
            range(len(worked)), [f"{s.started.astimezone():%m-%d}" for s in worked], rotation=45
        )
        axes.set_xlabel("session")
        axes.set_ylabel("pressure the spot ended on")
        axes.set_title("Pressure per spot across sessions")
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
        figure.tight_layout()
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)
