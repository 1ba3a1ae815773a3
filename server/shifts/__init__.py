"""Volunteer shifts and hours (志愿服务常态化)."""
