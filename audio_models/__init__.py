"""Audio and speech engines for voice-coach: recognizers, models, speech output, devices.

This package knows nothing about intents or coaching; callers hand it a phrase list.
"""
