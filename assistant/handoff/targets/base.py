"""What a delivery target does: take one leased packet and hand it over, or raise."""


class Target:
    """One way to hand packets to the back office (a drop folder now; FIT-Connect later)."""

    def deliver(self, db, row):
        """Hand over one outbox row; True if written now, False if the target already had it. Raises on failure."""
        raise NotImplementedError
