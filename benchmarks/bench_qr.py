"""Benchmark: time per bare code, per printable sign, and per 1,000 signs in a batch export.

Run: .venv/bin/python -m benchmarks.bench_qr [--signs 1000] [--workers 2]
Goals (issue #3): a sign in ≤ 30 ms; 1,000 signs in ≤ 30 s on a 2-core machine.
"""
import argparse
import io
import os
import secrets
import statistics
import sys
import time

from benchmarks.common import bench_app
from server.extensions import db
from server.models import Member, Unit
from server.qr.export import export_unit
from server.qr.services import issue_code
from server.qr.signs import SignContent, bare_png, render_sign

COMMITMENT = "我是共产党员，办事请找我，件件有回音，群众的事无小事，一次告知、一窗受理、限时办结，全心全意为人民服务！"


def timed(func, repeat):
    """Per-call times in ms of ``func(i)`` for i in range(repeat), after one warm-up call."""
    func(-1)
    samples = []
    for i in range(repeat):
        start = time.perf_counter()
        func(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def url():
    return "https://rs.example.cn/q/" + secrets.token_urlsafe(16)


def sign(layout):
    def render(_):
        content = SignContent(kind="badge", url=url(), header="党员先锋岗", title="沈佳怡",
                              subtitles=["道路运输许可窗口首席代办员", "嘉兴市交通运输行政审批服务窗口"],
                              body_label="我的承诺：", body=COMMITMENT, cta="扫码查看身份 · 评价服务", initial="沈")
        render_sign(content, layout)
    return render


def row(name, samples, goal=None):
    mean, p50 = statistics.mean(samples), statistics.median(samples)
    p95 = sorted(samples)[int(len(samples) * 0.95) - 1]
    verdict = "" if goal is None else ("ok" if p50 <= goal else "OVER")
    print(f"| {name:28} | {mean:8.1f} | {p50:8.1f} | {p95:8.1f} | {goal or '':>6} | {verdict:4} |")


def batch(count, workers):
    """Export ``count`` badge signs of one unit (cold cache): ZIP + A4 PDF, as `flask qr export` does."""
    app, _workdir = bench_app("rs-bench-qr-")
    with app.app_context():
        db.create_all()
        unit = Unit(name="基准测试单位", type="other")
        db.session.add(unit)
        db.session.flush()
        # Half the badges become a card and a desk sign each: count signs from count/2 members.
        for i in range(count // 2):
            member = Member(unit_id=unit.id, name=f"党员{i:04d}", post_title="窗口首席代办员")
            member.commitment = COMMITMENT
            db.session.add(member)
            db.session.flush()
            issue_code("badge", member)
        db.session.commit()
        start = time.perf_counter()
        zip_buffer, pdf_buffer = io.BytesIO(), io.BytesIO()
        export_unit(unit.id, zip_out=zip_buffer, pdf_out=pdf_buffer, workers=workers)
        elapsed = time.perf_counter() - start
    return elapsed, len(zip_buffer.getvalue()), len(pdf_buffer.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    print(f"Red Station QR benchmark — {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print()
    print(f"| {'operation':28} | {'mean ms':>8} | {'p50 ms':>8} | {'p95 ms':>8} | {'goal':>6} |      |")
    print(f"|{'-' * 30}|{'-' * 10}|{'-' * 10}|{'-' * 10}|{'-' * 8}|------|")
    row("bare code PNG (600 px)", timed(lambda _: bare_png(url()), args.repeat))
    row("desk sign A6 (200 dpi)", timed(sign("desk"), args.repeat), goal=30)
    row("badge card (300 dpi)", timed(sign("badge"), args.repeat), goal=30)
    elapsed, zip_size, pdf_size = batch(args.signs, args.workers)
    print()
    verdict = "ok" if elapsed <= 30 * args.signs / 1000 else "OVER"
    print(f"batch: {args.signs} signs (ZIP {zip_size / 1e6:.1f} MB + A4 PDF {pdf_size / 1e6:.1f} MB) "
          f"in {elapsed:.1f} s with {args.workers} workers = {elapsed / args.signs * 1000:.1f} ms/sign "
          f"(goal ≤ 30 s per 1,000) {verdict}")


if __name__ == "__main__":
    main()
