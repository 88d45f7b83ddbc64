"""British English: "31 May 2026", "14:30"."""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
