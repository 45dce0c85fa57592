"""The history database's schema, as the ordered steps that build it."""

from __future__ import annotations

# Ordered schema steps: MIGRATIONS[n] takes a file at version n to version n + 1. Append only;
# never edit a step that has shipped (files in the wild are at its version).
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started TEXT NOT NULL,             -- wall-clock UTC, ISO 8601
        ended TEXT,                        -- NULL until it ends (or if it was killed)
        seconds REAL NOT NULL DEFAULT 0,   -- session time reached
        routine TEXT NOT NULL,
        ball TEXT,
        finished INTEGER NOT NULL DEFAULT 0,
        summary TEXT NOT NULL DEFAULT '',
        commands INTEGER NOT NULL DEFAULT 0,
        reprompts INTEGER NOT NULL DEFAULT 0,
        questions INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE spots (
        id INTEGER PRIMARY KEY,
        session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,         -- order within the session, from 1
        spot_id TEXT NOT NULL,
        name TEXT NOT NULL,
        levels TEXT NOT NULL,              -- JSON list of level names
        final_level TEXT NOT NULL,
        held_seconds REAL NOT NULL,
        pain_levels TEXT NOT NULL,         -- JSON list: the level at each pain report
        numbness INTEGER NOT NULL,
        skipped INTEGER NOT NULL,
        at REAL NOT NULL                   -- session time the spot ended
    );
    CREATE INDEX spots_by_spot ON spots(spot_id, session);
    CREATE INDEX spots_by_session ON spots(session, position);
    CREATE TABLE stretches (
        id INTEGER PRIMARY KEY,
        session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        seconds REAL NOT NULL,
        completed INTEGER NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX stretches_by_session ON stretches(session);
    """,
    # Version 2: whether a hold on the spot ran to its end, which is what the closing summary
    # counts as a spot worked. Earlier rows did not say: a held spot, neither skipped nor ended
    # by numbness, is the best guess.
    """
    ALTER TABLE spots ADD COLUMN completed INTEGER NOT NULL DEFAULT 0;
    UPDATE spots SET completed = (held_seconds > 0 AND NOT skipped AND NOT numbness);
    """,
)
VERSION = len(MIGRATIONS)
