// Every visible piece of text against the colour actually behind it (WCAG 2 contrast:
// 4.5:1, or 3:1 for large text). Run with page.evaluate(); returns the failures.
() => {
  const parse = (css) => {
    const m = /rgba?\(([^)]+)\)/.exec(css || "");
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
  });
  const luminance = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const backdrop = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    const root = parse(getComputedStyle(document.documentElement).backgroundColor);
    let bg = root && root.a > 0 ? root : { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) bg = over(layer, bg);
    return bg;
  };
  const failures = [];
  const check = (el, text, fg, backgrounds) => {
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
    const need = large ? 3 : 4.5;
    for (const bg of backgrounds) {
      const r = ratio(over(fg, bg), bg);
      if (r < need) {
        failures.push(`${el.tagName.toLowerCase()}.${el.getAttribute("class") || ""} ` +
          `"${text.slice(0, 30)}": ${r.toFixed(2)} < ${need}`);
      }
    }
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const el = walker.currentNode.parentElement;
    if (!text || !el || !el.getClientRects().length) continue;
    if (el.closest(".visually-hidden, .skip-link, button:disabled, [hidden]")) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || Number(style.opacity) === 0) continue;
    if (el.closest("svg")) {
      const node = el.closest(".node");
      const bg = node ? over(parse(getComputedStyle(node.querySelector("rect")).fill),
        backdrop(el.closest("svg"))) : backdrop(el.closest("svg"));
      check(el, text, parse(style.fill), [bg]);
      continue;
    }
    const backgrounds = [backdrop(el)];
    const meter = el.closest("td")?.querySelector(".meter");
    if (meter) backgrounds.push(over(parse(getComputedStyle(meter).backgroundColor), backgrounds[0]));
    check(el, text, parse(style.color), backgrounds);
  }
  return failures;
}
