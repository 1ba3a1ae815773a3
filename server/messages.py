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
REQUEST_FAILED = "请求失败"
INTEGRITY_CONFLICT = "数据与已有记录冲突，请检查后重试"
DATABASE_UNAVAILABLE = "数据库暂时不可用，请稍后再试"

# /healthz: what is down, named for whoever watches the load balancer.
HEALTH_DOWN = "服务暂不可用：{parts}无法连接"
HEALTH_PARTS = {"database": "数据库", "redis": "Redis 缓存"}
HEALTH_PART_DOWN = "{part}无法连接"

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
# A volunteer post's location (server/admin/services.py): typed coordinates are checked for sense.
POST_OUTSIDE_CHINA = "该位置不在我国境内，请核对经纬度（纬度 {lat_min}–{lat_max}，经度 {lng_min}–{lng_max}）"
POST_FAR_FROM_UNIT = "该位置距本单位最近的志愿岗“{post}”约 {km} 公里，超过 {limit} 公里，请核对经纬度"
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
# Files made in the background for the console (server/export_jobs.py)
EXPORT_BUSY = "您已有 {count} 个文件正在生成，请等它们完成后再试"
EXPORT_FAILED = "生成文件时出错，请重试；如仍失败请联系系统管理员"
EXPORT_INTERRUPTED = "生成过程被中断（服务可能已重启），请重新生成"
EXPORT_NOT_FOUND = "该文件不存在或已过期（生成的文件保留 24 小时），请重新生成"

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
    # The rating form (群众满意度测评) and what follows its submission.
    "rate_title": "请对本次服务作出评价",
    "score_legend": "您对本次服务满意吗？",
    "tags_good": "做得好的（可多选）",
    "tags_bad": "需要改进的（可多选）",
    "comment_label": "意见或建议（选填）",
    "contact_label": "如需回访，请留下电话（选填）",
    "contact_help": "仅在选择“不满意”或“非常不满意”时填写，只用于回访，不会公开。",
    "submit": "提交评价",
    "score_required": "请先点选一项满意程度",
    "form_has_errors": "还有内容需要修改，请看下面的红字提示。",
    "form_expired": "页面已过期，请重新选择后再点“提交评价”。",
    "thanks_title": "谢谢您的评价",
    "thanks_score": "您的评价：{label}",
    "thanks_good": "您的认可是我们前进的动力。",
    "thanks_bad": "您的意见已转交{unit}核实整改。",
    "case_deadlines": "我们将在 {contact} 前与您联系（如留有电话），并在 {resolve} 前答复。",
    "case_number": "受理编号：{id}",
    "comment_pending": "您的留言将在审核后显示。",
    "date": "{month}月{day}日",
    "back": "返回",
    "already_rated_title": "今天已经评价过了",
    "rate_failed_title": "未能提交评价",
    "rate_limited_title": "操作过于频繁",
    "rate_limited_body": "提交次数过多，请过一会儿再试。",
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
BAD_RATING_TARGET = {"window": "窗口", "member": "工作人员"}
DEADLINE_FORMAT = "%m月%d日%H:%M"

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
SHIFT_STILL_OPEN = "该签到记录尚未签退，不能审核"
SHIFT_ALREADY_APPROVED = "该记录已审核通过；如需更正核定时长，请选择“调整时长”并填写原因"
SHIFT_ALREADY_REJECTED = "该记录已驳回；如需更正，请选择“通过”或“调整时长”并填写原因"
SHIFT_CORRECTION_REASON_REQUIRED = "更正已审核的记录必须填写原因"
SHIFT_ADJUST_MINUTES_REQUIRED = "调整时长必须填写核定分钟数"
SHIFT_MINUTES_ONLY_FOR_ADJUST = "只有调整时长时才填写核定分钟数"
SHIFT_AUTO_REVIEWER = "系统自动审核"
SHIFT_STATUS_LABELS = {"open": "进行中（未签退）", "pending": "待审核", "needs_review": "未签退，待核实",
                       "approved": "已通过", "rejected": "已驳回"}
SHIFT_DECISION_LABELS = {"approve": "通过", "reject": "驳回", "adjust": "调整时长", "auto_approve": "自动通过"}
# The member's "shift reviewed" subscribe message: thing ≤ 20 characters, phrase ≤ 5 Chinese characters.
SHIFT_REVIEWED_WECHAT = {
    "results": {"approve": "已通过", "auto_approve": "已通过", "adjust": "已调整", "reject": "未通过"},
    "credited": "核定{minutes}分钟（{hours}小时）",
    "not_credited": "不计入服务时长",
    "note": "点击查看审核详情",
}
# Check-in, check-out, claims (补录) and forgotten check-outs (server/shifts/services.py)
SHIFT_NOT_A_MEMBER = "仅已绑定的党员/志愿者可以签到，请先向单位管理员领取绑定码完成绑定"
SHIFT_NOT_A_POST_CODE = "这不是志愿服务岗的签到码，请扫描岗位上张贴的二维码"
SHIFT_LOCATION_REQUIRED = "扫描岗位二维码签到需要获取您的位置，请允许小程序使用定位后重试"
SHIFT_LOCATION_FIELD_REQUIRED = "扫码签到时必须提供"
SHIFT_LAT_LNG_TOGETHER = "经度和纬度必须同时提供"
SHIFT_LOCATION_INACCURATE = "当前定位不够准确（误差超过 {max} 米），请到开阔处或打开手机定位服务后重试"
SHIFT_OUT_OF_RANGE = "您距离岗位约 {distance} 米，不在签到范围（{radius} 米）内，请到岗位现场签到或扫描岗位屏幕上的动态签到码"
SHIFT_OPEN = "您在“{post}”的签到（{started}）尚未签退，请先签退再签到"
SHIFT_OVERLAP = "与您在“{post}”的服务记录（{when}）时间重叠，同一时间只能在一个岗位服务"
SHIFT_OCCURRED_IN_FUTURE = "操作时间晚于当前时间，请检查手机时间设置"
SHIFT_OFFLINE_TOO_LATE = "离线记录已超过 24 小时，不能再提交，请改为补录"
SHIFT_NOT_FOUND = "签到记录不存在"
SHIFT_NOT_OPEN = "该签到记录已结束，不能再签退"
SHIFT_CHECK_OUT_BEFORE_CHECK_IN = "签退时间不能早于签到时间"
SHIFT_CLOSED_STALE_REASON = "超过岗位最长在岗时长（{minutes} 分钟）未签退，系统自动结束，待管理员核实"
SHIFT_POST_NOT_FOUND = "志愿服务岗不存在"
SHIFT_CLAIM_REVERSED = "结束时间必须晚于开始时间"
SHIFT_CLAIM_IN_FUTURE = "不能补录尚未结束的服务"
SHIFT_CLAIM_TOO_LONG = "一次补录不能超过 {hours} 小时"
SHIFT_CLAIM_TOO_OLD = "只能补录 {days} 天内的服务"
# Why a shift waits for a person (Shift.review_flags).
SHIFT_FLAG_LABELS = {
    "offline": "离线提交",
    "out_of_range_in": "签到位置不在岗位范围内（动态码签到）",
    "out_of_range_out": "签退位置不在岗位范围内",
    "no_location_out": "签退时未提供位置",
    "open_too_long": "超过岗位最长在岗时长未签退",
    "claim": "补录",
}

# Figures, rankings and the admins' ratings list (server/stats)
# The "zeros" (PRODUCT.md) and the tag that breaks each; 零投诉 also breaks on any rating of 1–2.
ZERO_TAGS = {"zero_complaints": "投诉", "zero_shirking": "推诿", "zero_errors": "出错"}
PERIOD_REVERSED = "结束日期不能早于开始日期"
PERIOD_TOO_LONG = "统计区间不能超过 {days} 天"
WINDOW_NOT_FOUND = "窗口不存在"
MEMBER_NOT_FOUND = "党员/志愿者不存在"
NOT_IN_UNIT = "不属于所选单位"
# The admins' ratings workbook (GET /api/v1/admin/ratings/export.xlsx)
RATINGS_EXPORT = {
    "sheet": "评价明细",
    "columns": ["编号", "评价时间", "单位", "评价对象类型", "评价对象", "评分", "满意程度", "标签", "留言", "留言状态",
                "工单编号", "工单状态", "计入统计", "不计入原因", "追评的原评价编号"],
    "target_kinds": {"member": "工作人员", "window": "窗口"},
    "comment_status": {"shown": "已公开", "hidden": "已隐藏"},
    "counted": {True: "是", False: "否"},
}

# WeChat subscribe messages, the admins' notifications and comment review (server/alerts)
SUBSCRIPTION_TEMPLATE_UNKNOWN = "该提醒未开通，请刷新后重试"
WECHAT_NOT_LINKED = "请先在小程序中绑定您的微信，再订阅提醒"
WECHAT_LINKED_TO_OTHER_ADMIN = "该微信已绑定其他管理员账号"
NO_COMMENT = "该评价没有留言"
COMMENT_HIDE_REASON_REQUIRED = "隐藏留言必须填写原因"
# The bad-rating subscribe message: thing ≤ 20 characters, phrase ≤ 5 Chinese characters.
BAD_RATING_WECHAT = {
    "window": "窗口：{name}",
    "member": "工作人员：{name}",
    "note": "请及时联系群众并整改答复",
}

# The hours record (志愿服务时长记录 PDF, /verify page) and the hours exports (server/hours)
HOURS_RECORD = {
    "title": "志愿服务时长记录",
    "subtitle": "交通运输“红色驿站” · 志愿服务常态化",
    "name": "姓名",
    "political_status": "政治面貌",
    "unit": "所属单位",
    "post_title": "岗位",
    "record_no": "记录编号",
    "issued_at": "开具时间",
    "total_hours": "累计核定服务时长",
    "total_hours_value": "{hours} 小时（{minutes} 分钟）",
    "shift_count": "服务次数",
    "shift_count_value": "{count} 次",
    "star_level": "星级",
    "star_names": ["未达星级", "一星志愿者", "二星志愿者", "三星志愿者", "四星志愿者", "五星志愿者"],
    "details": "服务明细（仅含审核通过的记录，时长以审核核定为准）",
    "columns": ["序号", "活动/岗位", "服务日期", "服务地点", "服务内容", "服务时长", "组织单位", "审核人"],
    "minutes_hours": "{minutes} 分钟\n{hours} 小时",
    "total_row": "合计",
    "total_row_value": "{count} 次，{minutes} 分钟（{hours} 小时）",
    "no_shifts": "暂无审核通过的志愿服务记录",
    "default_service": "志愿服务",
    "statement": "本记录由红色驿站系统生成，仅供核验，不替代全国志愿服务信息系统出具的证明。",
    "verify_hint": "核验：扫描右侧二维码或访问 {url}",
    "page": "第 {page} 页 / 共 {pages} 页",
    "scan_to_verify": "扫码核验",
}
HOURS_RECORD_FONT_MISSING = "服务器缺少中文字体，暂时无法生成时长记录，请联系管理员"
HOURS_RECORD_ALREADY_REVOKED = "该时长记录已作废"
# Where each shift came from, as the exports show it.
SHIFT_SOURCE_LABELS = {"scan": "扫码签到", "live": "动态码签到", "claim": "补录"}
SHIFT_OFFLINE_LABEL = "（离线提交）"
HOURS_EXPORT = {
    "summary_sheet": "汇总",
    "detail_sheet": "明细",
    "summary_columns": ["姓名", "单位", "政治面貌", "服务次数", "核定时长（小时）", "星级", "累计核定时长（小时）"],
    "detail_columns": ["姓名", "单位", "岗位", "服务日期", "签到时间", "签退时间", "实际分钟", "核定分钟",
                       "服务内容", "审核人", "审核时间", "来源"],
    # The columns the national volunteer platform (全国志愿服务信息系统) imports hours in.
    "platform_columns": ["姓名", "证件类型", "证件号码", "服务日期", "服务时长（小时）", "活动名称", "组织单位"],
}
# The public verification page (/verify/{token}).
VERIFY_PAGE = {
    "title": "志愿服务时长记录核验",
    "valid": "有效记录",
    "valid_help": "该记录由本系统开具，内容与开具时一致。",
    "revoked": "该记录已作废，不能作为证明使用",
    "revoked_at": "作废时间",
    "totals_at_issue": "开具时核定时长",
    "shifts_at_issue": "开具时服务次数",
    "star_at_issue": "开具时星级",
    "changed": "该志愿者目前累计核定时长为 {hours} 小时，与开具时不同（开具后有新的审核结果），如需最新记录请重新开具。",
    "not_found_title": "记录不存在",
    "not_found_body": "没有找到这份志愿服务时长记录，请核对二维码或网址。",
}
