"""The sound devices: listing and opening them, the microphone, the speaker and what it played."""
