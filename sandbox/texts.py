"""What the demo accounts write. Texts are stored raw; X escapes them on the way out."""

from __future__ import annotations

import random

PRODUCTS = ("Quartile Pulse", "Quartile Studio", "the Insights app", "Quartile Go", "Reports 3.0")
TOPICS = ("video retention", "campaign reporting", "link tracking", "audience growth", "A/B tests")
TEAMS = ("Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware")

ORIGINAL_TEMPLATES = (
    "New in {product}: faster {topic} for every team. Try it today",
    "How {team} cut reporting time by {n}% with {product}",
    "{n} tips for better {topic} — a thread 🧵",
    "Our spring webinar on {topic} is live. Save your seat",
    "Behind the scenes at the {team} launch 🎬",
    "We asked {n} marketers about {topic}. Here is what they told us",
    "Launch day 🚀 {product} is here ✨",
    "Quick poll for the weekend: how do you measure {topic}?",
    "Case study: {team} doubled reach with short videos",
    "Thank you to the {n} people who joined today's live session 💙",
)
REPLY_TEMPLATES = (
    "Thanks for asking! {product} exports CSV from every chart.",
    "Good question: {topic} numbers refresh every few minutes.",
    "More on this in our docs, and the team is happy to help 🙌",
    "Part {n} of the thread: start with one metric and track it weekly.",
)

# Posts that tests and the dashboard must show literally (docs/x-api.md §2.5: X escapes & < > in
# text).
SPECIAL_TEXTS = (
    ("<script>alert(1)</script>", "en"),
    ('=HYPERLINK("http://x","y")', "en"),
    ("Fish & chips < pizza > salad — R&D notes from the team lunch", "en"),
    ("Family 👨‍👩‍👧‍👦, flags 🇯🇵🏳️‍🌈 and skin tones 👋🏽: emoji that span many code points", "en"),
    ("مرحبا بكم في كوارتايل — تقرير الأداء الأسبوعي متاح الآن", "ar"),
    ("שלום! הדוח השבועי של Quartile זמין עכשיו (RTL test)", "iw"),
)


def original_text(rng: random.Random) -> str:
    return rng.choice(ORIGINAL_TEMPLATES).format(**_slots(rng))


LONG_PARAGRAPHS = (
    "We spent the quarter rebuilding how {product} reports {topic}, and the short version is "
    "that every chart now says what it knows and what it estimates.",
    "{team} tried it first: {n} campaigns, one dashboard, and a weekly export that finance "
    "reads without a pivot table.",
    "The longer version: numbers arrive from X every few minutes while a Post is young, then "
    "daily, and a day between two readings is an estimate of a known total, never a zero.",
    "If you run {topic} for more than one account, the side-by-side view saves an afternoon a "
    "week. Tell us what you would add next; we read every reply.",
)
# X's `text` holds the first 280 characters of a longer Post (docs/x-api.md §9; "note_tweet").
TEXT_LIMIT = 280


def long_text(rng: random.Random) -> str:
    """A Post longer than 280 characters, as X's paid accounts may write."""
    slots = _slots(rng)
    return " ".join(paragraph.format(**slots) for paragraph in LONG_PARAGRAPHS)


def reply_text(rng: random.Random, to_username: str | None) -> str:
    text = rng.choice(REPLY_TEMPLATES).format(**_slots(rng))
    return f"@{to_username} {text}" if to_username else text


def short_link(rng: random.Random) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "https://t.co/" + "".join(rng.choice(alphabet) for _ in range(10))


def _slots(rng: random.Random) -> dict[str, object]:
    return {
        "product": rng.choice(PRODUCTS),
        "topic": rng.choice(TOPICS),
        "team": rng.choice(TEAMS),
        "n": rng.randint(2, 40),
    }
