"""The H5 rating form in a real browser: Debian's headless Chromium driven by Playwright against
the app served over HTTP, with JavaScript on and off; screenshots are saved as test artifacts
(in $TEST_ARTIFACTS_DIR, default tests/artifacts/). The browser comes from browser_support.
"""
import pytest
from sqlalchemy import select

from browser_support import app, browser, screenshot, site  # noqa: F401  (fixtures)
from server.extensions import db
from server.models import Case, Rating
from server.schemas import local_zone

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "has_touch": True, "is_mobile": True,
         "locale": "zh-CN"}


def submit(page):
    """Tap the submit button; returns the status of the page the form posted to, once it has loaded."""
    with page.expect_navigation() as navigation:
        page.locator("button.submit").tap()
    return navigation.value.status


def local_day(moment):
    local = moment.astimezone(local_zone())
    return f"{local.month}月{local.day}日"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_bad_rating_from_a_phone(browser, site, world, codes, javascript):
    mode = "js" if javascript else "no-js"
    window_id = world.a.window.id
    db.session.rollback()  # end this thread's read: the server writes next
    context = browser.new_context(java_script_enabled=javascript, **PHONE)
    page = context.new_page()
    page.goto(f"{site}/q/{codes['window']}")

    # Elderly-friendly: large type, nothing wider than a 360-px phone, big tap targets.
    assert float(page.evaluate("getComputedStyle(document.body).fontSize").removesuffix("px")) >= 18
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    targets = page.locator("label.level, .tags label, #comment, #contact, button.submit")
    assert targets.count() == 5 + 12 + 3
    for box in (targets.nth(i).bounding_box() for i in range(targets.count())):
        assert box is None or box["height"] >= 48, box  # None: hidden (the contact field, with JS)
    # With JavaScript the contact field waits for a bad rating; without, it is always there.
    assert page.locator("#contact").is_visible() is not javascript
    screenshot(page, f"h5-rating-{mode}.png")

    level = page.locator("label[for=score-2]")
    assert level.inner_text().replace("\n", "") == "2不满意"
    level.tap()
    assert page.locator("#score-2").is_checked()
    page.locator(".tags.bad label", has_text="推诿").tap()
    page.locator("#comment").fill("窗口推来推去，跑了三趟")
    assert page.locator("#contact").is_visible()
    page.locator("#contact").fill("13900001111")
    screenshot(page, f"h5-rating-filled-{mode}.png")

    assert submit(page) == 201
    assert page.locator("h1").inner_text().endswith("谢谢您的评价")
    db.session.rollback()
    rating = db.session.scalar(select(Rating))
    case = db.session.scalar(select(Case))
    assert (rating.window_id, rating.score, rating.tags, rating.comment, rating.contact) == (
        window_id, 2, ["推诿"], "窗口推来推去，跑了三趟", "13900001111")
    assert rating.rater_key.startswith("dev:") and case.rating_id == rating.id and case.status == "open"
    deadlines = f"我们将在 {local_day(case.due_contact_at)} 前与您联系（如留有电话），并在 {local_day(case.due_resolve_at)} 前答复"
    assert deadlines in page.locator(".deadlines").inner_text()
    screenshot(page, f"h5-thanks-{mode}.png")
    cookie = next(c for c in context.cookies() if c["name"] == "rs_device")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    # The same phone again today: refused in plain words, nothing more recorded.
    db.session.rollback()
    page.goto(f"{site}/q/{codes['window']}")
    page.locator("label[for=score-1]").tap()
    assert submit(page) == 409
    assert "您今天已评价过该窗口" in page.locator("main").inner_text()
    screenshot(page, f"h5-already-rated-{mode}.png")
    db.session.rollback()
    assert len(db.session.scalars(select(Rating)).all()) == 1
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_phone_number_with_a_good_score(browser, site, codes, javascript):
    """Without JavaScript the server refuses it next to the field, keeping the input; with
    JavaScript the field hides (and is not sent) once the choice turns good."""
    db.session.rollback()
    context = browser.new_context(java_script_enabled=javascript, **PHONE)
    page = context.new_page()
    page.goto(f"{site}/q/{codes['badge']}")
    page.locator("label[for=score-2]").tap()
    page.locator("#contact").fill("13900002222")
    page.locator("label[for=score-4]").tap()
    page.locator(".tags.good label", has_text="热情").tap()
    if javascript:
        assert not page.locator("#contact").is_visible()
        assert submit(page) == 201
        expected = (4, "")
    else:
        assert submit(page) == 422
        assert page.evaluate("window.scrollY") > 0  # opened at the form's problems, not the profile
        error = page.locator("#contact-error")
        assert error.is_visible() and error.inner_text() == "仅在“不满意”或“非常不满意”时可留下联系方式"
        assert page.locator("#contact").input_value() == "13900002222"
        assert page.locator("#score-4").is_checked() and page.locator(".tags.good input[value=热情]").is_checked()
        screenshot(page, "h5-contact-refused-no-js.png")
        page.locator("label[for=score-2]").tap()
        assert submit(page) == 201
        expected = (2, "13900002222")
    db.session.rollback()
    rating = db.session.scalar(select(Rating))
    assert (rating.score, rating.contact, rating.tags) == (*expected, ["热情"])
    context.close()
