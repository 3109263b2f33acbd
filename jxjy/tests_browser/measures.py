"""Measures taken on a page a learner sees (issue 15 item 6 and 12): touch targets of at least 44 × 44 px, no text
under 18 px in 大字模式, and axe-core's serious or critical findings. Shared by the accessibility audit of every
page (test_a11y_audit) and the flows that check each page they walk through."""

MIN_TARGET = 44
MIN_LARGE_TEXT = 18
AXE_BAD = ("serious", "critical")

# Visible interactive elements smaller than 44 × 44 px. A link is exempt when it sits inline inside a sentence
# (its block has other text); a checkbox or radio counts with its label (the label is the target too).
TARGETS_JS = """
(min) => {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && r.right > 0 && r.bottom > 0
      && !el.closest(".visually-hidden, [aria-hidden=true], .skip-link");
  };
  const inline = (el) => {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
    const own = (el.textContent || "").trim().length;
    return block && (block.textContent || "").replace(/\\s+/g, "").length > own + 2;
  };
  const box = (el) => {
    let r = el.getBoundingClientRect();
    if (el.matches("input[type=checkbox], input[type=radio]")) {
      const label = el.closest("label") || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label) {
        const l = label.getBoundingClientRect();
        r = { width: Math.max(r.width, l.width), height: Math.max(r.height, l.height) };
      }
    }
    return r;
  };
  const name = (el) => {
    const text = (el.getAttribute("aria-label") || el.textContent || el.value || el.name || "").trim();
    const cls = el.className && typeof el.className === "string" ? "." + el.className.trim().replace(/ +/g, ".") : "";
    return `${el.tagName.toLowerCase()}${cls} "${text.slice(0, 30)}"`;
  };
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  return [...document.querySelectorAll(selector)]
    .filter((el) => visible(el) && !inline(el))
    .map((el) => ({ el, r: box(el) }))
    .filter(({ r }) => r.width < min - 0.5 || r.height < min - 0.5)
    .map(({ el, r }) => `${name(el)} ${Math.round(r.width)}×${Math.round(r.height)}`);
}
"""

# Visible text rendered under `min` px (大字模式).
SMALL_TEXT_JS = """
(min) => {
  const found = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || el.closest("script, style, noscript, .visually-hidden, svg, option")) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size >= min - 0.05) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const cls = el.className && typeof el.className === "string" ? "." + el.className.trim().replace(/ +/g, ".") : "";
    const key = `${el.tagName.toLowerCase()}${cls} "${text.slice(0, 20)}" ${size}px`;
    found.set(key, true);
  }
  return [...found.keys()].slice(0, 12);
}
"""


def small_targets(page):
    """The visible targets under 44 × 44 px, as `tag.class "text" W×H`."""
    return page.evaluate(TARGETS_JS, MIN_TARGET)


def small_text(page):
    """The visible text rendered under 18 px, as `tag.class "text" Npx`."""
    return page.evaluate(SMALL_TEXT_JS, MIN_LARGE_TEXT)


def axe_findings(page, where):
    """axe-core's serious and critical violations on the page now open, one line each naming the rule and up to
    five elements. The page's context must bypass the CSP (axe is injected as an inline script)."""
    from axe_playwright_python.sync_playwright import Axe

    findings = []
    for violation in Axe().run(page).response["violations"]:
        if violation["impact"] in AXE_BAD:
            targets = [" ".join(node["target"]) for node in violation["nodes"]][:5]
            findings.append(f"{where}: axe {violation['id']} ({violation['impact']}) on {targets}")
    return findings


def check(browsing, step, large, *, axe=False):
    """A page of a flow: screenshot and no sideways scroll (Browsing.snap), every target ≥ 44 px, in 大字模式 no text
    under 18 px, and with `axe` no serious or critical axe finding."""
    browsing.snap(step)
    page = browsing.page
    small = small_targets(page)
    assert not small, f"{browsing.viewport} {step}: targets under {MIN_TARGET} px: {small}"
    if large:
        assert "a11y" in (page.get_attribute("html", "class") or ""), f"{browsing.viewport} {step}: 大字模式 is off"
        tiny = small_text(page)
        assert not tiny, f"{browsing.viewport} {step}: text under {MIN_LARGE_TEXT} px in 大字模式: {tiny}"
    if axe:
        found = axe_findings(page, f"{browsing.viewport} {step} ({browsing.path()})")
        assert not found, "\n".join(found)
