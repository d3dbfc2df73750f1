"""Layer 5, add-ons built on the layers below.

The stall watchdog, the wrong-thread checker and the guest loops behind ``uidispatch.aio``.
"""
