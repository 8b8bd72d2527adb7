"""SQL that analysts and AI assistants write: parsing, safety rules, the analytics views."""
