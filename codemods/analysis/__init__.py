"""CST knowledge several rules share: names, control flow, cleanup calls, coroutine scope."""
