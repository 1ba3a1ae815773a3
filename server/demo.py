"""Demo data from the seed documents: the pilot red stations, their people, windows and posts."""
import datetime as dt
import random

from sqlalchemy import select

from server import messages
from server.auth.services import create_admin
from server.extensions import db
from server.models import Admin, Member, Post, QrCode, Rating, Shift, Unit, Window, utcnow
from server.qr.services import issue_code
from server.schemas import local_zone

DEMO_PASSWORD = "hongse2026"

UNITS = [
    {"name": "嘉兴市交通运输行政审批服务窗口", "type": "window_hall", "is_red_station": True,
     "address": "嘉兴市南湖区市民服务中心三楼交通运输窗口"},
    {"name": "王店港航管理检查站", "type": "enforcement_station", "is_red_station": True, "address": "嘉兴市秀洲区王店镇长水塘"},
    {"name": "三塔港航管理检查站", "type": "enforcement_station", "is_red_station": True, "address": "嘉兴市南湖区三塔路京杭运河畔"},
    {"name": "大桥运管站", "type": "enforcement_station", "is_red_station": False, "address": "嘉兴市南湖区大桥镇"},
    {"name": "王江泾治超站", "type": "enforcement_station", "is_red_station": True, "address": "嘉兴市秀洲区王江泾镇320国道旁"},
    {"name": "船文化博物馆", "type": "other", "is_red_station": True, "address": "嘉兴市南湖区船文化博物馆"},
    {"name": "沪杭高速嘉兴服务区", "type": "service_area", "is_red_station": True, "address": "沪杭高速公路嘉兴服务区（双向）"},
]

WINDOWS = [
    ("嘉兴市交通运输行政审批服务窗口", {
        "name": "道路运输许可窗口",
        "duties": ["道路运输经营许可的受理与办结", "道路运输从业资格证的申领、换证", "政策咨询与材料预审"],
        "commitments": ["一次告知、一窗受理、限时办结", "让群众最多跑一次，能网上办的不让跑"],
        "time_limits": [{"item": "道路运输经营许可", "limit": "3个工作日"}, {"item": "从业资格证换证", "limit": "即办"}],
    }),
    ("嘉兴市交通运输行政审批服务窗口", {
        "name": "船舶登记窗口",
        "duties": ["船舶所有权、国籍登记", "船员证书办理"],
        "commitments": ["零推诿 零距离 零积压 零差错 零投诉"],
        "time_limits": [{"item": "船舶国籍登记", "limit": "5个工作日"}],
    }),
    ("王店港航管理检查站", {
        "name": "船舶签证窗口",
        "duties": ["船舶进出港签证", "船员安全宣传"],
        "commitments": ["签证随到随办，夜间有人值守"],
        "time_limits": [{"item": "进出港签证", "limit": "15分钟"}],
    }),
]

MEMBERS = [
    ("嘉兴市交通运输行政审批服务窗口", {"name": "沈佳怡", "post_title": "道路运输许可窗口首席代办员", "is_party_member": True,
      "commitment": "我是共产党员，办事请找我，件件有回音", "phone": "13812341234", "badge_no": "JX-0001"}),
    ("嘉兴市交通运输行政审批服务窗口", {"name": "陆志强", "post_title": "船舶登记窗口党员先锋岗", "is_party_member": True,
      "commitment": "亮身份、践承诺，让群众办事少跑腿", "phone": "13900001111", "badge_no": "JX-0002"}),
    ("王店港航管理检查站", {"name": "朱建国", "post_title": "站长、党员示范岗", "is_party_member": True,
      "commitment": "守好运河每一道水门，护好船民每一次平安", "phone": "13700002222", "badge_no": "WD-0001"}),
    ("三塔港航管理检查站", {"name": "钱晓燕", "post_title": "执法中队党员先锋岗", "is_party_member": True,
      "commitment": "文明执法、热情服务，零投诉", "phone": "13600003333", "badge_no": "ST-0001"}),
    ("王江泾治超站", {"name": "徐立明", "post_title": "治超检测岗", "is_party_member": True,
      "commitment": "公平公正检测，每一车都经得起检验", "phone": "13500004444", "badge_no": "WJJ-0001"}),
    ("沪杭高速嘉兴服务区", {"name": "张海峰", "post_title": "服务区志愿服务台志愿者", "is_party_member": True,
      "commitment": "一杯姜茶暖人心，一句指引顺人行", "phone": "13300005555", "badge_no": "FWQ-0001"}),
    ("沪杭高速嘉兴服务区", {"name": "李婷", "post_title": "服务区志愿者", "is_party_member": False,
      "commitment": "有困难，找红马甲", "phone": "13300006666", "badge_no": "FWQ-0002"}),
    ("船文化博物馆", {"name": "周文博", "post_title": "船文化讲解员", "is_party_member": True,
      "commitment": "讲好运河船文化，传承红船精神", "phone": "13200007777", "badge_no": "CWH-0001"}),
]

POSTS = [
    ("沪杭高速嘉兴服务区", {"name": "服务区志愿服务台", "service": "递送姜茶、出行咨询、发放行车指南、协助求助司乘",
      "lat": 30.7768, "lng": 120.8452, "radius_m": 300, "default_shift_minutes": 240, "max_open_minutes": 600}),
    ("船文化博物馆", {"name": "船文化讲解志愿岗", "service": "船文化与红船精神讲解、游客引导",
      "lat": 30.7525, "lng": 120.7605, "radius_m": 200, "default_shift_minutes": 180, "max_open_minutes": 480}),
    ("大桥运管站", {"name": "老旧小区桥梁巡查志愿岗", "service": "老旧小区周边桥梁安全巡查、隐患上报",
      "lat": 30.7310, "lng": 120.8120, "radius_m": 1000, "default_shift_minutes": 120, "max_open_minutes": 360}),
]

ADMINS = [
    ("bureau", "bureau_admin", None, "市交通运输局管理员"),
    ("fuwuqu", "unit_admin", "沪杭高速嘉兴服务区", "服务区管理员"),
    ("wangdian", "unit_admin", "王店港航管理检查站", "王店站管理员"),
    ("shenpi", "unit_admin", "嘉兴市交通运输行政审批服务窗口", "审批窗口管理员"),
]


def _get_or_add(model, unit_id, fields):
    """Find by (unit, name) or create, so seeding twice changes nothing."""
    query = select(model).where(model.name == fields["name"])
    if unit_id is not None:
        query = query.where(model.unit_id == unit_id)
    obj = db.session.scalar(query)
    if obj is None:
        obj = model(unit_id=unit_id) if unit_id is not None else model()
        for name, value in fields.items():
            setattr(obj, name, value)
        db.session.add(obj)
        db.session.flush()
    return obj


def seed_demo():
    """Add the demo data; safe to run twice. Returns [(username, password, role, unit name)]."""
    units = {spec["name"]: _get_or_add(Unit, None, spec) for spec in UNITS}
    for unit_name, spec in WINDOWS:
        issue_code("window", _get_or_add(Window, units[unit_name].id, spec))
    for unit_name, spec in MEMBERS:
        issue_code("badge", _get_or_add(Member, units[unit_name].id, spec))
    for unit_name, spec in POSTS:
        issue_code("post", _get_or_add(Post, units[unit_name].id, spec))
    logins = []
    for username, role, unit_name, display_name in ADMINS:
        if db.session.scalar(select(Admin).where(Admin.username == username)) is None:
            create_admin(username, DEMO_PASSWORD, role, units[unit_name].id if unit_name else None, display_name)
        logins.append((username, DEMO_PASSWORD, role, unit_name or "全部单位"))
    db.session.commit()
    return logins


def seed_activity(today, seed=2026):
    """A lived-in demo: 30 days of ratings up to ``today``, cases for the bad ones (most answered) and a
    year of volunteer shifts, so the console's dashboard and queues have something to show.

    Reproducible (seeded); does nothing when there are ratings already. Returns (ratings, shifts) added.
    """
    from server.cases.services import open_case

    if db.session.scalar(select(Rating.id).limit(1)) is not None:
        return 0, 0
    zone = local_zone()
    now = utcnow()
    rng = random.Random(seed)
    codes = db.session.scalars(select(QrCode).where(QrCode.kind.in_(("badge", "window")))).all()
    # Units differ: most satisfy, one lags behind the goal.
    mood = {name: weights for name, weights in zip(
        [u.name for u in db.session.scalars(select(Unit).order_by(Unit.id))],
        [[1, 1, 3, 12, 40], [1, 2, 4, 15, 30], [2, 2, 5, 14, 22], [5, 5, 8, 10, 12], [1, 1, 2, 10, 35],
         [0, 1, 2, 8, 30], [1, 2, 3, 14, 36]])}
    busy = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 1.5, 3.5, 4.5, 4.0, 3.0, 1.5, 2.0, 3.5, 4.0, 3.5, 2.5, 1.5, 1.0, 0.8, 0.5, 0.3, 0.2]
    serial = 0
    for back in range(29, -1, -1):
        day = today - dt.timedelta(days=back)
        weekend = day.weekday() >= 5
        for code in codes:
            unit = db.session.get(Unit, code.unit_id)
            for _ in range(rng.randint(0, 3 if weekend and unit.type == "window_hall" else 6)):
                serial += 1
                hour = rng.choices(range(24), busy)[0]
                at = dt.datetime.combine(day, dt.time(hour, rng.randrange(60)), zone)
                if at > now:
                    continue  # today's ratings stop at the current hour
                score = rng.choices([1, 2, 3, 4, 5], mood[unit.name])[0]
                tags = rng.sample(messages.NEGATIVE_TAGS, 1) if score <= 2 and rng.random() < 0.5 else \
                    rng.sample(messages.POSITIVE_TAGS, rng.choice([0, 1, 2]))
                rating = Rating(qr_code_id=code.id, unit_id=code.unit_id, member_id=code.member_id, window_id=code.window_id,
                                target_key=f"{'member' if code.member_id else 'window'}:{code.member_id or code.window_id}",
                                rater_key=f"dev:demo-{serial}", rated_on=day, score=score, tags=tags, comment="",
                                created_at=at.astimezone(dt.timezone.utc))
                db.session.add(rating)
                db.session.flush()
                if score <= 2:
                    case = open_case(rating)
                    if back > 3 and rng.random() < 0.8:
                        case.status, case.contacted_at = "resolved", rating.created_at + dt.timedelta(hours=5)
                        case.resolved_at = rating.created_at + dt.timedelta(days=rng.choice([1, 2, 3, 5, 8, 30]))
    members = db.session.scalars(select(Member)).all()
    shifts = 0
    posts = db.session.scalars(select(Post)).all()
    for back in range(365, 0, -1):
        day = today - dt.timedelta(days=back)
        for member in members:
            if rng.random() < 0.12 + 0.1 * (day.month in (1, 2, 7, 8, 10)):
                post = rng.choice(posts)
                minutes = rng.choice([120, 180, 240])
                status = "pending" if back < 20 and rng.random() < 0.6 else "approved"
                started = dt.datetime.combine(day, dt.time(rng.choice([8, 9, 13, 14])), zone).astimezone(dt.timezone.utc)
                shifts += 1
                db.session.add(Shift(member_id=member.id, post_id=post.id, unit_id=post.unit_id, status=status,
                                     started_at=started, ended_at=started + dt.timedelta(minutes=minutes), minutes=minutes,
                                     credited_minutes=minutes if status == "approved" else None, source="scan"))
    db.session.commit()
    return serial, shifts
