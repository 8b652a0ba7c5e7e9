"""Main journey in a real browser: a county admin logs in, sees only its county, creates a
school user; the user list of the sibling county does not show it."""
import pytest

from e2e.conftest import sign_in

pytestmark = pytest.mark.browser


def test_county_admin_journey(page, live_url):
    page.goto(live_url + "/")
    assert "/login" in page.url
    sign_in(page, live_url, "zy_admin")
    assert "/login" not in page.url and "中原区" in page.inner_text("body")

    page.goto(f"{live_url}/nodeview/list/?psize_NodeView=100")
    body = page.inner_text("body")
    assert "郑州市第五十七中学" in body and "郑州市第五十六中学" not in body

    page.goto(f"{live_url}/users/add")
    page.fill("input[name=username]", "zy_browser_user")
    page.fill("input[name=first_name]", "浏览器")
    page.fill("input[name=last_name]", "测试")
    page.fill("input[name=email]", "zy_browser_user@example.invalid")
    # The unit and role dropdowns only list what this admin may grant.
    node_options = page.eval_on_selector_all("select[name=node] option", "os => os.map(o => o.textContent)")
    assert any("五十七中" in o for o in node_options)
    assert not any("五十六中" in o for o in node_options)
    role_options = page.eval_on_selector_all("select[name=roles] option",
                                             "os => os.map(o => o.textContent)")
    # roles read by their Chinese names
    assert "学校采集员" in role_options and "县级管理员" in role_options
    assert "市级管理员" not in role_options and "省级管理员" not in role_options
    assert not any("_" in o for o in role_options)
    page.select_option("select[name=node]", label="郑州市第五十七中学")
    page.select_option("select[name=roles]", label="学校采集员")
    page.fill("input[name=password]", "Browser-pass-2026")
    page.fill("input[name=conf_password]", "Browser-pass-2026")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_url}/users/list/?psize_KsUserView=100")
    assert "zy_browser_user" in page.inner_text("body")
