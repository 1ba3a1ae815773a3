"""Logins (WeChat and admin), bearer tokens, the caller's identity, member binding."""
