"""Copy plotly.min.js from the installed plotly package into static/vendor, with its CSS.

plotly.js injects its global styles as a <style> element, which a strict Content-Security-Policy
(style-src 'self') refuses. It skips that when an element with id "plotly.js-style-global" and
class "no-inline-styles" exists, so we serve the same rules as a static stylesheet linked with
that id. The rules live in plotly.min.js as the object its `addStyleRule` loop reads; this
command extracts them, so upgrading plotly is: upgrade the package, run this command, commit.
"""

import re
from pathlib import Path

import plotly
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

RULES = re.compile(r'(\w+)=\{("X,X div".*?)\};for\(\w+ in \1\)', re.DOTALL)
PAIR = re.compile(r'"([^"]*)":(?:\'([^\']*)\'|"([^"]*)")')


def plotly_css(source: str) -> str:
    match = RULES.search(source)
    if match is None:
        raise CommandError("plotly.js's style rules were not found: check the extraction")
    rules = []
    for selector, single, double in PAIR.findall(match.group(2)):
        # The same substitutions plotly.js makes before adding each rule.
        selector = re.sub(r"^,", " ,", selector)
        selector = selector.replace("X", ".js-plotly-plot .plotly").replace("Y", ".plotly-notifier")
        rules.append(f"{selector}{{{single or double}}}")
    return "\n".join(rules) + "\n"


class Command(BaseCommand):
    help = "Vendor plotly.min.js and its stylesheet into static/vendor."

    def handle(self, *args, **options):
        package = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        source = package.read_text(encoding="utf-8")
        version = re.search(r"plotly\.js v([\d.]+)", source[:200]).group(1)
        target = Path(settings.BASE_DIR) / "static" / "vendor"
        target.mkdir(parents=True, exist_ok=True)
        (target / "plotly.min.js").write_text(source, encoding="utf-8")
        header = (
            f"/* plotly.js v{version} global styles, extracted by `manage.py vendor_plotly` "
            "so that no inline <style> is needed (strict CSP). */\n"
        )
        (target / "plotly.css").write_text(header + plotly_css(source), encoding="utf-8")
        (target / "README.md").write_text(
            "# Vendored front-end files\n\n"
            f"- `plotly.min.js`: plotly.js v{version}, copied from the plotly Python package "
            f"{plotly.__version__} (`package_data/plotly.min.js`). MIT licence.\n"
            "- `plotly.css`: plotly.js's global styles, extracted from the same file, linked "
            'with `id="plotly.js-style-global" class="no-inline-styles"` so plotly.js injects '
            "no `<style>` element (the Content-Security-Policy has no 'unsafe-inline').\n\n"
            "Regenerate both with `.venv/bin/python manage.py vendor_plotly`.\n",
            encoding="utf-8",
        )
        self.stdout.write(f"plotly.js v{version} vendored into {target}")
