"""Every Chinese message the API sends, in one place for review.

Error codes are stable English slugs; the message beside each is what the user sees.
"""

HTTP_ERRORS = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "您没有权限进行此操作"),
    404: ("not_found", "请求的内容不存在"),
    405: ("method_not_allowed", "不支持该请求方式"),
    409: ("conflict", "与当前数据冲突，请刷新后重试"),
    410: ("gone", "该内容已失效"),
    413: ("too_large", "请求内容过大"),
    415: ("unsupported_media_type", "请求内容类型不受支持"),
    422: ("validation_error", "提交的内容有误，请检查后重试"),
    429: ("rate_limited", "操作过于频繁，请稍后再试"),
    500: ("server_error", "服务器出错了，请稍后再试"),
    503: ("service_unavailable", "服务暂时不可用，请稍后再试"),
}

INVALID_JSON = "请求内容不是有效的 JSON"
INTEGRITY_CONFLICT = "数据与已有记录冲突，请检查后重试"
DATABASE_UNAVAILABLE = "数据库暂时不可用，请稍后再试"

# Login and identity
TOKEN_INVALID = "登录已失效，请重新登录"
ADMIN_ONLY = "仅管理员可以进行此操作"
BUREAU_ONLY = "仅局管理员可以进行此操作"
WECHAT_USER_ONLY = "请在微信小程序中登录后操作"
BAD_CREDENTIALS = "用户名或密码错误"
ADMIN_LOCKED = "密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试"
WECHAT_CODE_INVALID = "微信登录凭证无效或已使用，请重新进入小程序"
WECHAT_RATE_LIMITED = "微信登录过于频繁，请稍后再试"
WECHAT_USER_BLOCKED = "微信提示该账号存在风险，暂时无法登录"
WECHAT_BUSY = "微信服务繁忙，请稍后再试"
WECHAT_UNAVAILABLE = "暂时无法连接微信服务，请稍后再试"
WECHAT_ERROR = "微信登录失败，请稍后再试"

# Member binding
BIND_CODE_UNKNOWN = "绑定码不存在，请核对后重新输入"
BIND_CODE_USED = "该绑定码已被使用，请向管理员申请新的绑定码"
BIND_CODE_EXPIRED = "绑定码已过期，请向管理员申请新的绑定码"
MEMBER_ALREADY_BOUND = "该党员/志愿者已绑定其他微信账号"
USER_ALREADY_BOUND = "您的微信已绑定党员/志愿者身份"

# Administration
UNIT_NOT_FOUND = "单位不存在"
UNIT_ADMIN_NEEDS_UNIT = "单位管理员必须指定所属单位"
NAME_TAKEN = "该名称已被使用"
USERNAME_TAKEN = "该用户名已被使用"

# marshmallow's validation messages, by field or validator and key.
VALIDATION = {
    "required": "缺少必填字段",
    "null": "该字段不能为空",
    "validator_failed": "取值无效",
    "unknown": "不支持的字段",
    "type": "输入类型无效",
    "invalid_string": "应为文本",
    "invalid_utf8": "不是有效的 UTF-8 文本",
    "invalid_number": "应为数字",
    "too_large": "数值过大",
    "invalid_integer": "应为整数",
    "special": "不允许 NaN 或无穷大",
    "invalid_boolean": "应为 true 或 false",
    "invalid_list": "应为列表",
    "invalid_mapping": "应为对象",
    "invalid_datetime": "应为日期时间（ISO 8601，如 2026-11-22T09:30:00+08:00）",
    "invalid_awareness": "日期时间须带时区，如 +08:00",
    "invalid_date": "应为日期（如 2026-11-22）",
    "invalid_url": "不是有效的网址",
    "invalid_email": "不是有效的邮箱地址",
    "range_min": "不能小于 {min}",
    "range_max": "不能大于 {max}",
    "range_all": "应在 {min} 到 {max} 之间",
    "length_min": "长度不能少于 {min}",
    "length_max": "长度不能超过 {max}",
    "length_all": "长度应在 {min} 到 {max} 之间",
    "length_equal": "长度应为 {equal}",
    "one_of": "取值应为以下之一：{choices}",
    "blank": "不能为空白",
    "control_chars": "不能包含控制字符",
    "regexp": "格式不正确",
    "phone": "手机号应为 11 位数字",
}
