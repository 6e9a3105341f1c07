"""Singer tap for the Lana core database."""
