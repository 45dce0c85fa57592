"""The pure core: events in, actions out; the coach, its routine data and its lines.

It knows no clock, thread or device: time arrives inside the events.
"""
