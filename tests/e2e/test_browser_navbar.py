"""The staff navbar at a common office screen width (1366×768): one line as the province
administrator, who sees every menu."""
import pytest

from e2e.conftest import sign_in

pytestmark = pytest.mark.browser

#: a one-line Bootstrap 3 navbar is ~50 px high; a wrapped one at least twice that.
ONE_LINE = 60


def test_admin_navbar_is_one_line_at_1366(browser, live_url):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        sign_in(page, live_url, "henan_admin")
        for path in ("/", "/candidateview/list/"):
            page.goto(live_url + path)
            box = page.locator("div.navbar").first.bounding_box()
            items = page.eval_on_selector_all(
                "div.navbar .navbar-nav > li", "els => els.map(e => e.getBoundingClientRect().top)")
            assert items and max(items) - min(items) < 10, (path, items)
            assert box["height"] <= ONE_LINE, (path, box)
    finally:
        context.close()
