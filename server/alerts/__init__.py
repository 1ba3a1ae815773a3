"""Alerts: the admins' notifications (unread badge), WeChat subscribe-message quotas, and the
admin's own WeChat link that lets those messages reach them."""
