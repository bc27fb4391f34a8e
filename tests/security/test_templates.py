"""No template marks text safe: X's text and people's input reach pages only autoescaped."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_template_uses_safe_or_turns_autoescape_off():
    offenders = []
    for template in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]:
        text = template.read_text()
        if "|safe" in text or "autoescape off" in text:
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


def test_no_python_code_marks_strings_safe():
    # format_html escapes what it is given; mark_safe trusts it whole.
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("accounts", "metrics", "dashboard")
        for path in (ROOT / package).rglob("*.py")
        if "mark_safe(" in path.read_text() or "SafeString(" in path.read_text()
    ]
    assert offenders == []
