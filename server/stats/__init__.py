"""Figures for admins: satisfaction, the zeros, cases and hours per unit; rankings; the ratings list."""
