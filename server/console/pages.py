"""The console's page modules, imported here so each registers its views on the blueprint."""
# (page modules are imported below as they are written)
from server.console import review  # noqa: E402,F401  (review queue: /admin/shifts)
from server.console import dashboard  # noqa: E402,F401  (数据看板)
from server.console import cases  # noqa: E402,F401  (差评工单: /admin/cases)
from server.console import manage  # noqa: E402,F401  (units, members, windows, posts)
from server.console import codes  # noqa: E402,F401  (QR codes, sign sheets)
from server.console import exports  # noqa: E402,F401  (exports, background files)
from server.console import audit_log  # noqa: E402,F401  (操作日志)
