"""The hand-off to the back office: packets, the outbox they wait in, and the targets they are delivered to."""
