"""Local git repositories read through the git command line."""
