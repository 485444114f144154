"""The back office: the caseworker's inbox, the case view and its actions, and the audit log."""
