"""Where channel history lives and how a publish reaches every process."""
