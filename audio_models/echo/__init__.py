"""Taking the coach's own voice out of the microphone signal.

Delay tracking, adaptive cancelling and residual suppression, chained in ``pipeline``.
"""
