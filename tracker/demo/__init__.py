"""Demo data: invented but realistic sessions, units, users and proposals to try the tracker with."""
