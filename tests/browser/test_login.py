from playwright.sync_api import expect


def test_teacher_logs_in_and_sees_the_dashboard(page, log_in, teacher, school_class):
    log_in(teacher)
    expect(page.get_by_role("heading", name="Your classes")).to_be_visible()
    expect(page.get_by_text("12H History")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert page.js_errors == []


def test_wrong_password_says_so(page, log_in, teacher):
    log_in(teacher, password="not-the-password")
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value(teacher.username)


def test_a_failed_htmx_request_shows_a_message(page, log_in, teacher):
    log_in(teacher)
    # An element that asks the server for something that is not there.
    page.evaluate(
        """() => {
            const button = document.createElement('button');
            button.id = 'probe';
            button.textContent = 'probe';
            button.setAttribute('hx-get', '/no-such-page/');
            document.querySelector('main').appendChild(button);
            htmx.process(button);
        }"""
    )
    page.click("#probe")
    expect(page.locator("#htmx-error")).to_be_visible()
    expect(page.locator("#htmx-error")).to_contain_text("no longer exists")
