"""Layer 5, add-ons built on the layers below: the stall watchdog, the wrong-thread checker
and the async/await guest loops behind ``uidispatch.aio``."""
