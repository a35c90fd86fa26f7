"""Check that JupyterLab renders a chapter's solutions collapsed (headless Chromium).

Starts ``jupyter lab`` on a free local port (no token, no browser), opens each chapter given
(default: all with exercises) and checks in the rendered notebook that the ``<details>``
solution block is closed with its content hidden, and opens on a click. JupyterLab's HTML
sanitizer keeps ``<details>``/``<summary>``; this is the evidence. Exit status 0 when all hold.
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from browser_check_book import CHAPTERS, chromium  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str]) -> int:
    shot = None
    if argv[:1] == ["--screenshots"]:
        shot, argv = argv[1], argv[2:]
    names = argv or CHAPTERS
    port = free_port()
    lab = shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) or "jupyter-lab"
    server = subprocess.Popen([lab, "--no-browser", f"--port={port}", "--ServerApp.token=",
                               "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True", "--allow-root",
                               f"--ServerApp.root_dir={ROOT}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report, ok = {}, True
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit("jupyter lab did not start")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
            page = browser.new_page()
            for name in names:
                # a fresh workspace each time (?reset), so no tab of an earlier notebook is restored
                page.goto(f"http://127.0.0.1:{port}/lab/tree/notebooks/{name}.ipynb?reset")
                page.locator(".jp-NotebookPanel").first.wait_for(timeout=60000)
                details = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown details")
                # JupyterLab renders cells lazily: scroll until the solution cell is rendered
                for _ in range(400):
                    if details.count():
                        break
                    page.mouse.wheel(0, 4000)
                    page.wait_for_timeout(150)
                entry = {"details_blocks": details.count()}
                if details.count() != 1:
                    ok, report[name] = False, entry
                    continue
                d = details.first
                inner = d.locator(":scope > :not(summary)").first
                d.evaluate("e => e.scrollIntoView({block: 'center'})")
                page.wait_for_timeout(500)
                d.locator("summary").wait_for(state="visible", timeout=15000)
                if shot:
                    page.screenshot(path=f"{shot}/{name}-closed.png")
                entry.update(open_before=d.evaluate("e => e.open"), visible_before=inner.is_visible())
                d.locator("summary").click()
                try:  # rendering can lag on a busy machine
                    inner.wait_for(state="visible", timeout=10000)
                except Exception:  # noqa: BLE001 - reported as not visible below
                    pass
                page.wait_for_timeout(300)
                entry.update(open_after=d.evaluate("e => e.open"), visible_after=inner.is_visible())
                if shot:
                    page.screenshot(path=f"{shot}/{name}-open.png")
                ok &= (not entry["open_before"] and not entry["visible_before"]
                       and entry["open_after"] and entry["visible_after"])
                report[name] = entry
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    report["ok"] = bool(ok)
    print(json.dumps(report, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
