"""US English: "May 31, 2026", "2:30 p.m."."""

DATE_FORMAT = "F j, Y"
TIME_FORMAT = "g:i A"
