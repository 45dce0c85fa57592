"""The runtime around the core: clocks, the listening thread, speech output, sessions.

Text and voice sessions, and their assembly from real devices and engines.
"""
