"""Administration of units, members, windows and posts, behind the unit wall."""
