"use strict";
// gomap report page: draws the treemap from the embedded report and makes the
// groups table sort and filter.  No library; everything it needs is in the page.
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const data = JSON.parse(document.getElementById("gomap-data").textContent);
  const groups = data.report.groups;
  const TREEMAP_HEIGHT = 460;

  function human(n) {
    const units = [["GiB", 30], ["MiB", 20], ["KiB", 10]];
    for (const [u, s] of units) {
      if (n >= 2 ** s) return (n / 2 ** s).toFixed(1) + " " + u;
    }
    return n.toLocaleString("en-US") + " B";
  }

  // The package (or goroutine function) a group's path pattern starts from.
  function owner(pattern) {
    if (pattern.startsWith("goroutine ")) return pattern.split(" ").slice(0, 3).join(" ");
    const m = /^(?:[^\s\[]*\/)?[^.\/\s\[]+/.exec(pattern);
    return m ? m[0] : pattern;
  }

  // The same colours as the Python side (render/page.py dead_colour).
  function deadColour(g) {
    if (!g.slots) return "#adb5bd";
    const dead = Math.min(1, Math.max(0, (g.slots - g.entries) / g.slots));
    return "hsl(" + (120 * (1 - dead)).toFixed(0) + ",55%," + (42 + 10 * dead).toFixed(0) + "%)";
  }

  function worst(row, sum, side) {
    let hi = 0, lo = Infinity;
    for (const it of row) { hi = Math.max(hi, it.area); lo = Math.min(lo, it.area); }
    const s2 = sum * sum, w2 = side * side;
    return Math.max(w2 * hi / s2, s2 / (w2 * lo));
  }

  // Squarified treemap (Bruls, Huizing, van Wijk): sets item.rect for every item
  // of positive value so that areas are proportional to values and fill the rect.
  function squarify(items, x, y, w, h) {
    const list = items.filter((it) => it.value > 0).sort((a, b) => b.value - a.value);
    const total = list.reduce((s, it) => s + it.value, 0);
    if (!list.length || w <= 0 || h <= 0) return;
    const scale = (w * h) / total;
    for (const it of list) it.area = it.value * scale;
    let i = 0;
    while (i < list.length) {
      const side = Math.min(w, h);
      let row = [list[i]], sum = list[i].area, best = worst(row, sum, side), j = i + 1;
      while (j < list.length) {
        const next = row.concat([list[j]]), s = sum + list[j].area, r = worst(next, s, side);
        if (r > best) break;
        row = next; sum = s; best = r; j++;
      }
      const last = j >= list.length;
      // the row goes down the left side when the space is wide, else along the top
      const down = w >= h;
      const thick = last ? (down ? w : h) : sum / (down ? h : w);
      const end = down ? y + h : x + w;
      let pos = down ? y : x;
      row.forEach((it, k) => {
        const len = k === row.length - 1 ? end - pos : it.area / thick;
        it.rect = down ? { x: x, y: pos, w: thick, h: len } : { x: pos, y: y, w: len, h: thick };
        pos += len;
      });
      if (down) { x += thick; w -= thick; } else { y += thick; h -= thick; }
      i = j;
    }
  }

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function drawTreemap() {
    const box = document.getElementById("treemap");
    box.textContent = "";
    const W = Math.max(300, box.clientWidth || 1000), H = TREEMAP_HEIGHT;
    const byOwner = new Map();
    for (const g of groups) {
      if (!(g.exclusive > 0)) continue;
      const o = owner(g.pattern);
      if (!byOwner.has(o)) byOwner.set(o, { name: o, value: 0, children: [] });
      const node = byOwner.get(o);
      node.value += g.exclusive;
      node.children.push({ g: g, value: g.exclusive });
    }
    const owners = Array.from(byOwner.values());
    if (!owners.length) {
      box.textContent = "No map retains any bytes.";
      return;
    }
    const svg = el("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H });
    squarify(owners, 0, 0, W, H);
    for (const o of owners) {
      if (!o.rect) continue;
      squarify(o.children, o.rect.x, o.rect.y, o.rect.w, o.rect.h);
      for (const c of o.children) {
        if (!c.rect) continue;
        const g = c.g, r = c.rect;
        const rect = el("rect", {
          class: "tm-group", x: r.x, y: r.y, width: r.w, height: r.h,
          fill: deadColour(g), "data-pattern": g.pattern, "data-bytes": g.exclusive,
        }, svg);
        const dead = g.slots ? ((100 * (g.slots - g.entries)) / g.slots).toFixed(1) + "%" : "-";
        el("title", {}, rect).textContent = g.pattern + "\n" + g.maps.toLocaleString("en-US") +
          " maps, " + g.entries.toLocaleString("en-US") + " entries\nexclusive " +
          human(g.exclusive) + ", retained " + human(g.retained) + ", own " + human(g.own) +
          "\ndead cells " + dead;
        rect.addEventListener("click", () => pick(g.pattern));
        if (r.w > 70 && r.h > 16) {
          const t = el("text", { x: r.x + 4, y: r.y + 13 }, svg);
          t.textContent = clip(g.pattern.slice(o.name.length) || g.pattern, r.w - 8);
        }
      }
      el("rect", { class: "tm-owner", x: o.rect.x, y: o.rect.y, width: o.rect.w,
                   height: o.rect.h }, svg);
      if (o.rect.w > 60 && o.rect.h > 30) {
        const t = el("text", { class: "owner", x: o.rect.x + 4, y: o.rect.y + o.rect.h - 5 }, svg);
        t.textContent = clip(o.name + "  " + human(o.value), o.rect.w - 8);
      }
    }
    box.appendChild(svg);
    applyFilter();
  }

  function clip(text, width) {
    const chars = Math.floor(width / 6.2);
    return text.length <= chars ? text : text.slice(0, Math.max(1, chars - 1)) + "\u2026";
  }

  // --- the table -------------------------------------------------------------------
  const table = document.getElementById("groups");
  const filter = document.getElementById("filter");
  const showEmpty = document.getElementById("show-empty");
  const shown = document.getElementById("shown");

  function matcher(text) {
    const t = text.trim();
    if (!t) return () => true;
    if (/[*?]/.test(t)) {
      const re = new RegExp("^" + t.replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
      return (p) => re.test(p);
    }
    const low = t.toLowerCase();
    return (p) => p.toLowerCase().includes(low);
  }

  function applyFilter() {
    const ok = matcher(filter.value);
    const empty = showEmpty.checked;
    let n = 0;
    const rows = table.tBodies[0].rows;
    for (const tr of rows) {
      const visible = ok(tr.dataset.pattern) && (empty || tr.dataset.entries !== "0");
      tr.classList.toggle("hidden", !visible);
      if (visible) n++;
    }
    shown.textContent = n.toLocaleString("en-US") + " of " +
      rows.length.toLocaleString("en-US") + " groups shown" +
      (empty ? "" : " (groups of empty maps hidden)");
    for (const r of document.querySelectorAll("rect.tm-group")) {
      r.classList.toggle("dim", !ok(r.dataset.pattern));
    }
  }

  function pick(pattern) {
    filter.value = pattern;
    applyFilter();
    for (const tr of table.tBodies[0].rows) {
      tr.classList.toggle("picked", tr.dataset.pattern === pattern);
    }
    table.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function sortBy(th) {
    const idx = Array.prototype.indexOf.call(th.parentNode.children, th);
    const text = th.dataset.type === "text";
    const desc = th.classList.contains("sorted") ? !th.classList.contains("desc") : !text;
    for (const h of th.parentNode.children) h.classList.remove("sorted", "asc", "desc");
    th.classList.add("sorted", desc ? "desc" : "asc");
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    const key = (tr) => {
      const v = tr.cells[idx].dataset.v;
      return text ? v : Number(v);
    };
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      const c = x < y ? -1 : x > y ? 1 : 0;
      return desc ? -c : c;
    });
    for (const tr of rows) body.appendChild(tr);
  }

  for (const th of table.tHead.rows[0].cells) th.addEventListener("click", () => sortBy(th));
  filter.addEventListener("input", applyFilter);
  showEmpty.addEventListener("change", applyFilter);
  let resized = null;
  window.addEventListener("resize", () => {
    clearTimeout(resized);
    resized = setTimeout(drawTreemap, 150);
  });
  drawTreemap();
})();
