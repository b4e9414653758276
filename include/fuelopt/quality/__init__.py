"""Great Expectations gates between warehouse layers; quarantine of bad rows."""
