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

# Printed signs (server/qr/signs.py)
SIGN = {
    "brand": "红色驿站",
    "badge_party": "共产党员",
    "badge_volunteer": "志愿者",
    "badge_header_party": "党员先锋岗",
    "badge_header_volunteer": "志愿服务岗",
    "window_header": "服务窗口 · 亮承诺 亮职责",
    "post_header": "志愿服务岗",
    "commitment_label": "我的承诺：",
    "commitments_label": "服务承诺：",
    "service_label": "服务内容：",
    "cta_badge": "扫码查看身份 · 评价服务",
    "cta_window": "扫一扫 · 评价窗口服务",
    "cta_post": "志愿者扫码签到",
    "time_limits_label": "办理时限：",
}

# QR codes and the scan
QR_TARGET_NOT_FOUND = "找不到要生成二维码的对象"
QR_LAYOUT_NOT_FOR_KIND = "该版式不适用于此类二维码"
CODE_UNKNOWN = "二维码无效，请确认后重新扫描"
CODE_REVOKED = "该二维码已停用，请扫描现场张贴的最新二维码"
LIVE_CODE_EXPIRED = "动态签到码已过期，请扫描屏幕上最新的二维码"
FONT_MISSING = "服务器缺少中文字体，暂时无法生成桌牌，请联系管理员"
UNIT_HAS_NO_CODES = "该单位还没有在用的二维码"

# H5 pages (server/templates/h5): what a citizen or member reads after scanning with any camera.
H5 = {
    "site": "红色驿站",
    "party_member": "共产党员",
    "volunteer": "志愿者",
    "on_duty": "在岗服务中",
    "off_duty": "当前不在岗",
    "post_title": "岗位",
    "unit": "所属单位",
    "badge_no": "工号",
    "commitment": "我的承诺",
    "duties": "岗位职责",
    "commitments": "服务承诺",
    "time_limits": "办理时限",
    "service": "服务内容",
    "location": "岗位位置",
    "radius": "签到范围：岗位周边 {radius} 米内",
    "check_in_title": "志愿者签到",
    "check_in_help": "党员/志愿者请用微信扫描此码，在“红色驿站”小程序中签到、签退；签到时需要在岗位范围内。",
    "public_help": "此处为志愿服务岗，如需帮助，请直接向身穿红马甲的志愿者咨询。",
    "rate_soon": "请对本次服务作出评价",
    "not_found_title": "二维码无效",
    "not_found_body": "没有找到这个二维码，请确认扫描的是现场张贴的二维码。",
    "revoked_title": "二维码已停用",
    "revoked_body": "这个二维码已经停用，请扫描现场张贴的最新二维码。",
    "expired_title": "签到码已过期",
    "expired_body": "动态签到码每分钟更新，请扫描屏幕上最新的二维码。",
    "display_title": "扫码签到",
    "display_help": "志愿者请用微信扫描屏幕上的二维码签到（二维码每 30 秒更新）",
    "display_expires": "本码有效至",
    "footer": "交通运输“红色驿站” · 亮身份 亮承诺 亮职责",
}

# Ratings (群众满意度测评)
SCORE_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
POSITIVE_TAGS = ["热情", "高效", "专业", "一次办结", "耐心细致", "主动服务"]
# Each negative tag breaks one of the "zeros" (零推诿 / 零差错 / 零投诉 …).
NEGATIVE_TAGS = ["推诿", "态度差", "办事拖拉", "多头跑", "出错", "投诉"]
ALREADY_RATED = {"badge": "您今天已评价过这位工作人员", "window": "您今天已评价过该窗口"}
NOT_RATABLE = "志愿服务岗二维码用于签到，不能评价"
STAFF_CANNOT_RATE = "工作人员不能评价本单位的服务"
CONTACT_ONLY_FOR_BAD = "仅在“不满意”或“非常不满意”时可留下联系方式"
TAG_UNKNOWN = "不支持的评价标签"
CONTACT_INVALID = "联系方式应为电话号码"

# Notifications to admins
BAD_RATING_TITLE = "收到差评，请及时处理"
BAD_RATING_BODY = "{target}收到{score_label}评价，请于{due_contact}前联系群众，{due_resolve}前完成整改答复。"

# Cases (差评工单) and the rater's own ratings (server/cases, GET /api/v1/me/ratings, 追评)
CASE_STATUS_LABELS = {"open": "待联系群众", "contacted": "已联系，整改中", "resolved": "已答复"}
CASE_OVERDUE_REASONS = {"contact": "超过时限未联系群众", "resolve": "超过时限未整改答复"}
CASE_ACTION_LABELS = {
    "case.open": "收到差评，生成工单", "case.contact": "联系群众", "case.resolve": "整改答复",
    "case.reopen": "重新打开", "case.appeal": "单位申诉", "case.follow_up": "群众追评",
    "rating.exclude": "不计入统计", "rating.include": "计入统计",
}
APPEAL_STATE_LABELS = {"pending": "申诉待局管理员处理", "upheld": "申诉成立，不计入统计",
                       "rejected": "申诉未通过，仍计入统计"}
NO_CONTACT_NOTE = "群众未留联系方式"
CASE_NOTE_REQUIRED = "请填写处理说明"
CASE_ANSWER_REQUIRED = "请填写答复群众的内容"
CASE_NO_CONTACT_ONLY_FOR_CONTACT = "仅“联系群众”可记录为群众未留联系方式"
CASE_CONTACT_LEFT = "群众留有联系方式，请联系群众后记录联系情况"
CASE_ALREADY_CONTACTED = "该工单已记录联系群众"
CASE_ALREADY_RESOLVED = "该工单已答复，如需继续处理请先重新打开"
CASE_CONTACT_FIRST = "群众留有联系方式，请先联系群众再答复"
CASE_NOT_RESOLVED = "只有已答复的工单可以重新打开"
CASE_ALREADY_APPEALED = "该差评已提出申诉，不能重复申诉"
RATING_ALREADY_EXCLUDED = "该评价已不计入统计"
RATING_NOT_EXCLUDED = "该评价已计入统计，且没有待处理的申诉"
FOLLOW_UP_NO_CASE = "只有差评在单位答复后可以追评"
FOLLOW_UP_NOT_ANSWERED = "单位答复后才能追评，请耐心等待"
ALREADY_FOLLOWED_UP = "每条评价只能追评一次，您已追评过"

# Volunteer shifts and hours (志愿服务)
SHIFT_DAILY_CAP_NEEDS_OVERRIDE = "该志愿者当日核定时长将超过 8 小时，需确认超时审批后才能通过"
SHIFT_DAILY_CAP_REFUSED = "该志愿者当日核定时长不能超过 12 小时"
SHIFT_REASON_REQUIRED = "驳回或调整时长必须填写原因"
SHIFT_ADJUST_TOO_MANY = "核定时长不能超过实际在岗时长（{minutes} 分钟）"
SHIFT_NOT_REVIEWABLE = "该签到记录当前状态不能进行此审核操作"
