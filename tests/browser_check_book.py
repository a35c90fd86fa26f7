"""Check the rendered book in headless Chromium with the network cut off (``make book-check``).

For the built HTML in ``_build/html`` (``make book`` first):

1. **Math renders offline.** Every request the page makes to anything but ``file://`` is
   aborted (and counted); MathJax must still typeset: ``mjx-container`` elements appear and
   no raw ``$...$`` / ``\\(...\\)`` TeX is left in the text.
2. **Solutions are hidden until clicked.** On every chapter page with exercises, the
   ``<details>`` solution block is closed and its content not visible; after a click on its
   summary the content is visible.

Uses Playwright's Python API (installed with otter-grader) driving the system Chromium
(``apt-get install chromium``); Playwright's own browser download is not needed. Exit status 0
when every check holds; a JSON report goes to stdout.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["01_behavior_data", "02_nn_essentials", "03_rnn_lstm_gru", "04_purchase_prediction",
            "05_forecasting", "06_next_item_rnn", "07_attention_sasrec"]
MATH_PAGES = ["book/notation", "notebooks/03_rnn_lstm_gru"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("no Chromium found: apt-get install chromium")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    report, ok = {"math": {}, "solutions": {}}, True
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        context = browser.new_context(offline=True)
        blocked: list[str] = []

        def route(r):
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        for name in MATH_PAGES:
            blocked.clear()
            page.goto((args.html / f"{name}.html").as_uri())
            page.wait_for_function("() => document.querySelectorAll('mjx-container').length > 0", timeout=20000)
            n = page.evaluate("() => document.querySelectorAll('mjx-container').length")
            raw = page.evaluate("() => { const t = (document.querySelector('main') || document.body).innerText;"
                                " return t.includes('\\\\(') || t.includes('\\\\['); }")
            report["math"][name] = {"mjx_containers": n, "raw_tex_left": raw, "blocked_requests": list(blocked)}
            ok &= n > 0 and not raw
        for name in CHAPTERS:
            page.goto((args.html / "notebooks" / f"{name}.html").as_uri())
            details = page.locator("details", has=page.locator("summary", has_text="Solutions"))
            entry = {"details_blocks": details.count()}
            if details.count() != 1:
                ok = False
                report["solutions"][name] = entry
                continue
            d = details.first
            inner = d.locator(":scope > :not(summary)").first
            entry["open_before"] = d.evaluate("e => e.open")
            entry["visible_before"] = inner.is_visible()
            d.locator("summary").click()
            try:  # rendering can lag on a busy machine
                inner.wait_for(state="visible", timeout=10000)
            except Exception:  # noqa: BLE001 - reported as not visible below
                pass
            entry["open_after"] = d.evaluate("e => e.open")
            entry["visible_after"] = inner.is_visible()
            ok &= (not entry["open_before"] and not entry["visible_before"]
                   and entry["open_after"] and entry["visible_after"])
            report["solutions"][name] = entry
        browser.close()
    report["ok"] = bool(ok)
    print(json.dumps(report, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
