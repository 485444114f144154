"""Public pages: the service catalogue, the language switch, the accessibility statement and Leichte Sprache."""
