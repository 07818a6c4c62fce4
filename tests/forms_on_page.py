"""What a browser would submit from a console page's form, for test-client tests: the form's
inputs, selects and textareas with the values the page put in them (hidden fields included)."""
from __future__ import annotations

from html.parser import HTMLParser


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"attrs": attrs, "data": {}})
        if not self.forms:
            return
        data = self.forms[-1]["data"]
        if tag == "input" and attrs.get("name"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            if attrs.get("type") in ("submit", "button", "file"):
                return
            data.setdefault(attrs["name"], []).append(attrs.get("value") or "")
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select and "selected" in attrs:
            data.setdefault(self._select, []).append(attrs.get("value") or "")
        elif tag == "textarea":
            self._textarea = attrs.get("name")
            data.setdefault(self._textarea, [""])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, text):
        if self._textarea and self.forms:
            self.forms[-1]["data"][self._textarea][-1] += text


def form_data(html: str, *, action: str | None = None, testid: str | None = None) -> dict:
    """The submitted values of the page's form whose hidden `action` input is `action` (or whose
    data-testid is `testid`): {name: value} (a list where a name occurs more than once)."""
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if (action is not None and form["data"].get("action") == [action]) or \
                (testid is not None and form["attrs"].get("data-testid") == testid):
            return {name: values[0] if len(values) == 1 else values for name, values in form["data"].items()}
    raise AssertionError(f"no form for action={action!r} testid={testid!r} on the page")
