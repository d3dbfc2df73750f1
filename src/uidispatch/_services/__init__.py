"""Layer 3, services: rate limits, circuit breakers and per-operation statistics.

They know nothing of tasks or pools; the pool (layer 4) applies them.
"""
