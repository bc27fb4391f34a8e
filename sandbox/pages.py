"""The HTML a person sees during OAuth: a consent form (no JavaScript) and X's error page."""

from __future__ import annotations

from html import escape

from sandbox.world import Account

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem}"
    "fieldset{border:1px solid #ccc;border-radius:.5rem}label{display:block;margin:.4rem 0}"
    "button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem;border-radius:1.2rem}"
)
SCOPE_DESCRIPTIONS = {
    "tweet.read": "Read Posts you can see, including from protected accounts.",
    "users.read": "Read your profile information and that of accounts you can see.",
    "offline.access": "Stay connected to your account until you revoke access.",
}


def consent_page(
    *,
    app_name: str,
    action: str,
    hidden: dict[str, str],
    accounts: list[Account],
    scopes: list[str],
) -> str:
    hidden_inputs = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in hidden.items()
    )
    choices = "".join(
        f'<label><input type="radio" name="username" value="{escape(account.username)}"'
        f"{' checked' if index == 0 else ''}> {escape(account.persona.name)} "
        f"(@{escape(account.username)})</label>"
        for index, account in enumerate(accounts)
    )
    abilities = "".join(
        f"<li>{escape(SCOPE_DESCRIPTIONS.get(scope, scope))}</li>" for scope in scopes
    )
    permissions = f"<p>It will be able to:</p><ul>{abilities}</ul>" if abilities else ""
    return _page(
        f"{app_name} wants to access your X account",
        f"<p>X sandbox: choose the demo account to sign in as.</p>"
        f'<form method="post" action="{escape(action)}">{hidden_inputs}'
        f"<fieldset><legend>Sign in as</legend>{choices}</fieldset>{permissions}"
        '<p><button type="submit" name="action" value="authorize">Authorize app</button>'
        '<button type="submit" name="action" value="cancel">Cancel</button></p></form>',
    )


def error_page(reason: str) -> str:
    """X's "Something went wrong" page, with the reason spelled out for developers."""
    return _page(
        "Something went wrong",
        "<p>You weren't able to give access to the App. Go back and try logging in again.</p>"
        f'<p class="reason">{escape(reason)}</p>',
    )


def _page(title: str, content: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{content}</main></body></html>"
    )
