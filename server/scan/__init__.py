"""The scan: what a code shows to whoever scans it (JSON for the mini-program, H5 for any camera)."""
