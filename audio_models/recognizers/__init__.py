"""Speech recognizers behind one protocol.

PocketSphinx, Vosk and Whisper, and the child process that runs any of them.
"""
