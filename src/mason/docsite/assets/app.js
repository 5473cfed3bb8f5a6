/* Mason docs: the site `mason docs generate` writes. Plain JavaScript, no libraries, no network: the data is
   the JSON blob in index.html (#mason-data), parsed once. Pages: #/ (overview), #/node/<unique id>,
   #/dashboard (data quality). The node list renders only the rows in view; the lineage graph draws only the
   focused node's neighbourhood. */
(function () {
  "use strict";

  var T0 = performance.now();
  var dataEl = document.getElementById("mason-data");
  var D = JSON.parse(dataEl.textContent);
  dataEl.parentNode.removeChild(dataEl); // the text is parsed: let the browser free it
  var T1 = performance.now();
  var N = D.nodes || [];
  var DASH = D.dash || {};
  var byId = Object.create(null);
  var kids = [];
  var i, j;
  for (i = 0; i < N.length; i++) { byId[N[i].i] = i; kids.push([]); }
  for (i = 0; i < N.length; i++) {
    var ups = N[i].u || [];
    for (j = 0; j < ups.length; j++) kids[ups[j]].push(i);
  }
  var TYPES = ["model", "source", "seed", "snapshot", "analysis", "exposure"];
  var LETTER = { model: "M", source: "S", seed: "D", snapshot: "N", analysis: "A", exposure: "E" };
  function plural(t) { return t === "analysis" ? "analyses" : t + "s"; }
  var PALETTE = ["#2f6fb3", "#b3542f", "#3f8f4a", "#8a4fb3", "#b38a2f", "#2f9a9a", "#b32f6f", "#5a5a5a"];
  var packages = [];
  (function () {
    var seen = Object.create(null);
    for (var k = 0; k < N.length; k++) if (!seen[N[k].p]) { seen[N[k].p] = 1; packages.push(N[k].p); }
    packages.sort(function (a, b) { return a === D.project ? -1 : b === D.project ? 1 : a < b ? -1 : 1; });
  })();
  function pkgColor(p) { return PALETTE[Math.max(0, packages.indexOf(p)) % PALETTE.length]; }

  // ------------------------------------------------------------------------------------------ helpers
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function el(tag, cls, html) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (html != null) e.innerHTML = html;
    return e;
  }
  function link(idx) {
    var n = N[idx];
    return '<a href="#/node/' + encodeURIComponent(n.i) + '" class="nl" data-id="' + esc(n.i) + '">' +
      '<span class="b t-' + esc(n.t) + '">' + (LETTER[n.t] || "?") + "</span>" + esc(n.n) + "</a>";
  }
  function statusBadge(s) {
    if (!s) return '<span class="st st-none">not run</span>';
    var cls = s === "pass" || s === "success" ? "ok" : s === "warn" ? "warn" : s === "skipped" ? "none" : "bad";
    return '<span class="st st-' + cls + '">' + esc(s) + "</span>";
  }
  function secs(v) {
    if (v == null) return "";
    if (v < 1) return Math.round(v * 1000) + " ms";
    if (v < 60) return v.toFixed(2) + " s";
    return Math.floor(v / 60) + " min " + Math.round(v % 60) + " s";
  }
  function age(v) {
    if (v == null) return "";
    if (v < 3600) return Math.round(v / 60) + " min";
    if (v < 172800) return (v / 3600).toFixed(1) + " h";
    return (v / 86400).toFixed(1) + " d";
  }
  function when(s) { return s ? s.replace("T", " ").replace("Z", "") : ""; }
  function markdown(text) {
    var out = esc(text)
      .replace(/`([^`]+)`/g, "<code>$1</code>")
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/\[([^\]]+)\]\((https?:[^)\s]+)\)/g, '<a href="$2" rel="noopener">$1</a>');
    return out.split(/\n\s*\n/).map(function (p) { return "<p>" + p.replace(/\n/g, "<br>") + "</p>"; }).join("");
  }

  // ------------------------------------------------------------------------------------------- layout
  var app = document.getElementById("app");
  app.innerHTML =
    '<header class="top"><a class="brand" href="#/">' + esc(D.project || "Mason") + ' <small>docs</small></a>' +
    '<input id="q" type="search" autocomplete="off" placeholder="Search models, sources, columns, descriptions">' +
    '<nav><a href="#/" data-r="">Overview</a><a href="#/dashboard" data-r="dashboard">Data quality</a></nav>' +
    "</header>" +
    '<div class="body"><aside id="side"><div id="chips"></div><div id="count"></div>' +
    '<div id="list"><div id="spacer"></div><div id="rows"></div></div></aside><main id="main"></main></div>';
  var q = document.getElementById("q");
  var listEl = document.getElementById("list");
  var spacer = document.getElementById("spacer");
  var rowsEl = document.getElementById("rows");
  var countEl = document.getElementById("count");
  var main = document.getElementById("main");

  // ------------------------------------------------------------------------------- search and the list
  var ROW = 26;
  var shownTypes = Object.create(null);
  var present = TYPES.filter(function (t) { return N.some(function (n) { return n.t === t; }); });
  present.forEach(function (t) { shownTypes[t] = true; });
  var chips = document.getElementById("chips");
  chips.innerHTML = present.map(function (t) {
    return '<label class="chip"><input type="checkbox" checked data-t="' + t + '"> ' + plural(t) + "</label>";
  }).join("");
  chips.addEventListener("change", function (e) {
    shownTypes[e.target.getAttribute("data-t")] = e.target.checked;
    filter();
  });
  var keys = null; // lower-case search text per node: name, id, description, column names and docs
  function buildKeys() {
    keys = N.map(function (n) {
      var k = n.n + " " + n.i + " " + (n.d || "");
      var c = n.c || [];
      for (var m = 0; m < c.length; m++) k += " " + c[m][0] + " " + c[m][2];
      return k.toLowerCase();
    });
  }
  var order = N.map(function (_, k) { return k; }).sort(function (a, b) {
    var ta = TYPES.indexOf(N[a].t), tb = TYPES.indexOf(N[b].t);
    return ta - tb || (N[a].n < N[b].n ? -1 : N[a].n > N[b].n ? 1 : 0);
  });
  var filtered = order;
  function filter() {
    var text = q.value.trim().toLowerCase();
    var terms = text ? text.split(/\s+/) : [];
    if (terms.length && !keys) buildKeys();
    var exact = [], prefix = [], named = [], other = [];
    for (var k = 0; k < order.length; k++) {
      var idx = order[k], n = N[idx];
      if (!shownTypes[n.t]) continue;
      if (!terms.length) { other.push(idx); continue; }
      var key = keys[idx], ok = true;
      for (var t = 0; t < terms.length && ok; t++) ok = key.indexOf(terms[t]) >= 0;
      if (!ok) continue;
      var name = n.n.toLowerCase();
      if (name === text) exact.push(idx);
      else if (name.indexOf(text) === 0) prefix.push(idx);
      else if (name.indexOf(terms[0]) >= 0) named.push(idx);
      else other.push(idx);
    }
    filtered = exact.concat(prefix, named, other);
    countEl.textContent = filtered.length + (filtered.length === 1 ? " node" : " nodes") +
      (terms.length ? " match" + (filtered.length === 1 ? "es" : "") : "");
    spacer.style.height = filtered.length * ROW + "px";
    listEl.scrollTop = 0;
    paint();
  }
  function paint() {
    var top = listEl.scrollTop, height = Math.min(listEl.clientHeight || 600, 4000);
    var first = Math.max(0, Math.floor(top / ROW) - 10);
    var last = Math.min(filtered.length, Math.ceil((top + height) / ROW) + 10);
    var html = [];
    var current = currentNode();
    for (var k = first; k < last; k++) {
      var idx = filtered[k], n = N[idx];
      html.push('<a class="row' + (n.i === current ? " on" : "") + '" style="top:' + k * ROW + 'px" href="#/node/' +
        encodeURIComponent(n.i) + '" data-id="' + esc(n.i) + '" title="' + esc(n.i) + '"><span class="b t-' +
        n.t + '">' + (LETTER[n.t] || "?") + "</span>" + esc(n.n) + (n.p !== D.project ? " <small>" + esc(n.p) +
        "</small>" : "") + "</a>");
    }
    rowsEl.innerHTML = html.join("");
  }
  var ticking = false;
  listEl.addEventListener("scroll", function () {
    if (ticking) return;
    ticking = true;
    requestAnimationFrame(function () { ticking = false; paint(); });
  });
  var timer = 0;
  q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(filter, 40); });
  q.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && filtered.length) location.hash = "#/node/" + encodeURIComponent(N[filtered[0]].i);
  });

  // ---------------------------------------------------------------------------------------- routing
  function currentNode() {
    var h = location.hash;
    return h.indexOf("#/node/") === 0 ? decodeURIComponent(h.slice(7)) : null;
  }
  function route() {
    var h = location.hash.replace(/^#\/?/, "");
    var navs = document.querySelectorAll("header nav a");
    for (var k = 0; k < navs.length; k++) navs[k].classList.toggle("on", navs[k].getAttribute("data-r") === h);
    var id = currentNode();
    if (id !== null && byId[id] !== undefined) nodePage(byId[id]);
    else if (h === "dashboard") dashboardPage();
    else overviewPage(id);
    paint();
    main.scrollTop = 0;
  }
  window.addEventListener("hashchange", route);

  // --------------------------------------------------------------------------------------- overview
  function overviewPage(missing) {
    var counts = {}, failing = [], tests = 0;
    N.forEach(function (n, idx) {
      counts[n.t] = (counts[n.t] || 0) + 1;
      (n.x || []).forEach(function (t) {
        tests++;
        if (t[3] && t[3] !== "pass" && t[3] !== "skipped") failing.push([idx, t]);
      });
    });
    var html = "<h1>" + esc(D.project) + "</h1>";
    if (missing) html += '<p class="note">No node ' + esc(missing) + " in this project.</p>";
    html += '<p class="muted">' + esc(D.adapter) + " project, generated " + esc(when(D.generated_at)) + " UTC</p>";
    html += '<div class="cards">' + present.map(function (t) {
      return '<div class="card"><b>' + counts[t] + "</b>" + (counts[t] === 1 ? t : plural(t)) + "</div>";
    }).join("") + '<div class="card"><b>' + tests + "</b>tests</div>" +
      '<div class="card"><b>' + failing.length + "</b>failing tests</div></div>";
    html += "<p>Search on the left, or open the <a href=\"#/dashboard\">data-quality dashboard</a>.</p>";
    if (failing.length) {
      html += "<h2>Tests that did not pass</h2><table><tr><th>test</th><th>on</th><th>status</th><th>message</th></tr>" +
        failing.slice(0, 200).map(function (f) {
          return "<tr><td>" + esc(f[1][0]) + "</td><td>" + link(f[0]) + "</td><td>" + statusBadge(f[1][3]) +
            "</td><td>" + esc(f[1][4]) + "</td></tr>";
        }).join("") + "</table>";
    }
    main.innerHTML = html;
  }

  // ------------------------------------------------------------------------------------------ nodes
  var depth = { up: 2, down: 2 };
  function nodePage(idx) {
    var n = N[idx];
    var html = '<h1><span class="b t-' + esc(n.t) + '">' + (LETTER[n.t] || "?") + "</span>" + esc(n.n) + " " +
      (n.z ? statusBadge(n.z) : "") + "</h1>";
    html += '<dl class="meta"><dt>type</dt><dd>' + esc(n.t) + (n.m ? " (" + esc(n.m) + ")" : "") + "</dd>" +
      "<dt>unique id</dt><dd><code>" + esc(n.i) + "</code></dd>" +
      (n.r ? "<dt>relation</dt><dd><code>" + esc(n.r) + "</code></dd>" : "") +
      "<dt>package</dt><dd>" + esc(n.p) + "</dd><dt>file</dt><dd><code>" + esc(n.f) + (n.l ? ":" + n.l : "") +
      "</code></dd>" + (n.g ? "<dt>tags</dt><dd>" + n.g.map(esc).join(", ") + "</dd>" : "") +
      (n.h ? "<dt>run time</dt><dd>" + secs(n.h[0]) + " last, " + secs(n.h[1]) + " median of " + n.h[2] +
        " run" + (n.h[2] === 1 ? "" : "s") + "</dd>" : "") + "</dl>";
    html += '<section><h2>Description</h2><div class="desc">' + (n.d ? markdown(n.d) :
      '<p class="muted">No description.</p>') + "</div></section>";
    html += '<section><h2>Lineage</h2><div class="lc">upstream <button data-d="up" data-s="-1">−</button>' +
      '<b id="du">' + depth.up + '</b><button data-d="up" data-s="1">+</button> downstream ' +
      '<button data-d="down" data-s="-1">−</button><b id="dd">' + depth.down + "</b>" +
      '<button data-d="down" data-s="1">+</button><span id="legend"></span></div>' +
      '<div class="graph" id="graph"></div></section>';
    var tests = n.x || [];
    var byCol = {};
    tests.forEach(function (t) { if (t[2]) (byCol[t[2].toLowerCase()] = byCol[t[2].toLowerCase()] || []).push(t); });
    if (n.c && n.c.length) {
      html += '<section><h2>Columns</h2><table class="cols"><tr><th>column</th><th>type</th><th>description</th>' +
        "<th>tests</th></tr>" + n.c.map(function (c) {
        return "<tr><td><code>" + esc(c[0]) + "</code></td><td>" + esc(c[1]) + "</td><td>" + esc(c[2]) +
          "</td><td>" + (byCol[c[0].toLowerCase()] || []).map(function (t) {
            return '<span title="' + esc(t[0]) + '">' + esc(t[1]) + " " + statusBadge(t[3]) + "</span>";
          }).join(" ") + "</td></tr>";
      }).join("") + "</table></section>";
    }
    if (tests.length) {
      html += '<section><h2>Tests</h2><table class="tests"><tr><th>test</th><th>type</th><th>column</th>' +
        "<th>status</th><th>message</th></tr>" + tests.map(function (t) {
        return "<tr><td>" + esc(t[0]) + "</td><td>" + esc(t[1]) + "</td><td>" + esc(t[2]) + "</td><td>" +
          statusBadge(t[3]) + "</td><td>" + esc(t[4]) + "</td></tr>";
      }).join("") + "</table></section>";
    }
    if (n.s || n.k) {
      html += '<section><h2>SQL</h2><div class="tabs">' + (n.s ? '<button data-k="s">source</button>' : "") +
        (n.k ? '<button data-k="k">compiled</button>' : "") + '</div><pre class="sql"><code id="sql"></code></pre></section>';
    }
    var parents = n.u || [], children = kids[idx];
    html += '<section class="rel"><div><h2>Depends on (' + parents.length + ")</h2>" + listOf(parents) +
      "</div><div><h2>Referenced by (" + children.length + ")</h2>" + listOf(children) + "</div></section>";
    main.innerHTML = html;
    var tabs = main.querySelectorAll(".tabs button");
    function show(k) {
      document.getElementById("sql").textContent = n[k] || "";
      for (var t = 0; t < tabs.length; t++) tabs[t].classList.toggle("on", tabs[t].getAttribute("data-k") === k);
    }
    for (var t = 0; t < tabs.length; t++) {
      tabs[t].addEventListener("click", function (e) { show(e.currentTarget.getAttribute("data-k")); });
    }
    if (tabs.length) show(n.k ? "k" : "s");
    main.querySelector(".lc").addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (!b) return;
      var d = b.getAttribute("data-d");
      depth[d] = Math.max(0, Math.min(6, depth[d] + Number(b.getAttribute("data-s"))));
      document.getElementById(d === "up" ? "du" : "dd").textContent = depth[d];
      lineage(idx);
    });
    lineage(idx);
  }
  function listOf(ids) {
    if (!ids.length) return '<p class="muted">none</p>';
    var sorted = ids.slice().sort(function (a, b) { return N[a].n < N[b].n ? -1 : 1; });
    return "<ul>" + sorted.slice(0, 300).map(function (k) { return "<li>" + link(k) + "</li>"; }).join("") +
      (sorted.length > 300 ? "<li>… " + (sorted.length - 300) + " more</li>" : "") + "</ul>";
  }

  // --------------------------------------------------------------------------------------- lineage
  var SVGNS = "http://www.w3.org/2000/svg";
  var COL_MAX = 24;
  function lineage(focus) {
    var level = Object.create(null);
    level[focus] = 0;
    function walk(next, steps, sign) {
      var frontier = [focus];
      for (var d = 1; d <= steps && frontier.length; d++) {
        var nxt = [];
        for (var a = 0; a < frontier.length; a++) {
          var around = next(frontier[a]);
          for (var b = 0; b < around.length; b++) {
            if (level[around[b]] === undefined) { level[around[b]] = sign * d; nxt.push(around[b]); }
          }
        }
        frontier = nxt;
      }
    }
    walk(function (k) { return N[k].u || []; }, depth.up, -1);
    walk(function (k) { return kids[k]; }, depth.down, 1);
    var cols = Object.create(null), lo = 0, hi = 0;
    Object.keys(level).forEach(function (k) {
      var lv = level[k];
      (cols[lv] = cols[lv] || []).push(Number(k));
      lo = Math.min(lo, lv); hi = Math.max(hi, lv);
    });
    var CW = 230, BW = 190, BH = 24, RH = 32, PAD = 12;
    var pos = Object.create(null), tallest = 1, more = [];
    for (var lv = lo; lv <= hi; lv++) {
      var col = (cols[lv] || []).sort(function (a, b) { return N[a].n < N[b].n ? -1 : 1; });
      if (col.length > COL_MAX) { more.push([lv, col.length - COL_MAX]); col = col.slice(0, COL_MAX); }
      cols[lv] = col;
      tallest = Math.max(tallest, col.length + (col.length === COL_MAX ? 1 : 0));
    }
    var height = tallest * RH + PAD * 2, width = (hi - lo + 1) * CW + PAD * 2 - (CW - BW);
    for (lv = lo; lv <= hi; lv++) {
      var c2 = cols[lv] || [], top = PAD + (tallest - c2.length) * RH / 2;
      for (var r = 0; r < c2.length; r++) pos[c2[r]] = [PAD + (lv - lo) * CW, top + r * RH];
    }
    var parts = ['<svg xmlns="' + SVGNS + '" class="lineage" width="' + width + '" height="' + height +
      '" viewBox="0 0 ' + width + " " + height + '">'];
    Object.keys(pos).forEach(function (k) {
      var child = Number(k), ups = N[child].u || [];
      for (var u = 0; u < ups.length; u++) {
        var p = pos[ups[u]];
        if (!p) continue;
        var c = pos[child], x1 = p[0] + BW, y1 = p[1] + BH / 2, x2 = c[0], y2 = c[1] + BH / 2;
        var dx = Math.max(40, Math.abs(x2 - x1) / 2);
        parts.push('<path class="edge" data-a="' + ups[u] + '" data-b="' + child + '" d="M' + x1 + "," + y1 +
          " C" + (x1 + dx) + "," + y1 + " " + (x2 - dx) + "," + y2 + " " + x2 + "," + y2 + '"/>');
      }
    });
    Object.keys(pos).forEach(function (k) {
      var idx = Number(k), n = N[idx], p = pos[idx];
      var label = n.n.length > 26 ? n.n.slice(0, 25) + "…" : n.n;
      parts.push('<g class="ln t-' + n.t + (idx === focus ? " focus" : "") + '" data-i="' + idx + '" data-id="' +
        esc(n.i) + '" transform="translate(' + p[0] + "," + p[1] + ')"><rect width="' + BW + '" height="' + BH +
        '" rx="4" style="stroke:' + pkgColor(n.p) + '"/><text x="8" y="16">' + (LETTER[n.t] || "?") + "  " +
        esc(label) + "</text><title>" + esc(n.i) + (n.z ? " (" + esc(n.z) + ")" : "") + "</title></g>");
    });
    more.forEach(function (m) {
      parts.push('<text class="more" x="' + (PAD + (m[0] - lo) * CW + 8) + '" y="' + (height - PAD) + '">+ ' +
        m[1] + " more</text>");
    });
    parts.push("</svg>");
    var graph = document.getElementById("graph");
    graph.innerHTML = parts.join("");
    var legend = document.getElementById("legend");
    var used = Object.create(null);
    Object.keys(pos).forEach(function (k) { used[N[Number(k)].p] = 1; });
    legend.innerHTML = Object.keys(used).map(function (p) {
      return '<span class="pk"><i style="background:' + pkgColor(p) + '"></i>' + esc(p) + "</span>";
    }).join("");
    var svg = graph.firstChild;
    svg.addEventListener("click", function (e) {
      var g = e.target.closest("g.ln");
      if (g) location.hash = "#/node/" + encodeURIComponent(g.getAttribute("data-id"));
    });
    svg.addEventListener("mouseover", function (e) {
      var g = e.target.closest("g.ln");
      var id = g ? g.getAttribute("data-i") : null;
      var edges = svg.querySelectorAll(".edge");
      for (var k = 0; k < edges.length; k++) {
        edges[k].classList.toggle("hl", id !== null && (edges[k].getAttribute("data-a") === id ||
          edges[k].getAttribute("data-b") === id));
      }
    });
  }

  // ------------------------------------------------------------------------------------------ charts
  function ms(s) { return s ? Date.parse(s) : NaN; }
  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log(v) / Math.LN10)), f = v / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  }
  function shortNum(v) {
    var a = Math.abs(v);
    return a >= 1e9 ? (v / 1e9).toFixed(1) + "G" : a >= 1e6 ? (v / 1e6).toFixed(1) + "M" :
      a >= 1e3 ? (v / 1e3).toFixed(1) + "k" : String(Math.round(v * 100) / 100);
  }
  function dayLabel(t) {
    var d = new Date(t);
    function two(x) { return (x < 10 ? "0" : "") + x; }
    return two(d.getUTCMonth() + 1) + "-" + two(d.getUTCDate()) + " " + two(d.getUTCHours()) + ":" +
      two(d.getUTCMinutes());
  }
  /* A chart over time: opts.series [{name, color, pts: [[t, y, cls]]}], opts.band [[t, lo, hi]],
     opts.lines [{y, label, cls}], opts.yFmt. Every data point is a circle of class "pt". */
  function timeChart(opts) {
    var W = 640, H = opts.height || 200, L = 52, R = 12, T = 10, B = 26;
    var xs = [], ys = [0];
    opts.series.forEach(function (s) { s.pts.forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); });
    (opts.band || []).forEach(function (b) { xs.push(b[0]); ys.push(b[1], b[2]); });
    (opts.lines || []).forEach(function (l) { ys.push(l.y); });
    xs = xs.filter(isFinite); ys = ys.filter(function (y) { return y != null && isFinite(y); });
    if (!xs.length) return '<p class="muted">No data points.</p>';
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    if (x0 === x1) { x0 -= 3600e3; x1 += 3600e3; }
    var yMin = Math.min.apply(null, ys), y1 = niceMax(Math.max.apply(null, ys)), y0 = yMin < 0 ? -niceMax(-yMin) : 0;
    function X(t) { return L + (t - x0) / (x1 - x0) * (W - L - R); }
    function Y(v) { return T + (1 - (v - y0) / (y1 - y0)) * (H - T - B); }
    var fmt = opts.yFmt || shortNum;
    var out = ['<svg class="chart" viewBox="0 0 ' + W + " " + H + '" width="' + W + '" height="' + H + '">'];
    for (var k = 0; k <= 4; k++) {
      var v = y0 + (y1 - y0) * k / 4, y = Y(v);
      out.push('<line class="grid" x1="' + L + '" x2="' + (W - R) + '" y1="' + y + '" y2="' + y + '"/><text class="ax" x="' +
        (L - 4) + '" y="' + (y + 4) + '" text-anchor="end">' + esc(fmt(v)) + "</text>");
    }
    for (k = 0; k <= 3; k++) {
      var t = x0 + (x1 - x0) * k / 3;
      out.push('<text class="ax" x="' + X(t) + '" y="' + (H - 8) + '" text-anchor="' + (k === 0 ? "start" : k === 3 ?
        "end" : "middle") + '">' + dayLabel(t) + "</text>");
    }
    var band = (opts.band || []).filter(function (b) { return isFinite(b[0]) && b[1] != null && b[2] != null; })
      .sort(function (a, b) { return a[0] - b[0]; });
    if (band.length) {
      var top = band.map(function (b) { return X(b[0]) + "," + Y(b[2]); });
      var bottom = band.slice().reverse().map(function (b) { return X(b[0]) + "," + Y(b[1]); });
      if (band.length > 1) out.push('<polygon class="band" points="' + top.concat(bottom).join(" ") + '"/>');
      band.forEach(function (b) {
        out.push('<line class="range" x1="' + X(b[0]) + '" x2="' + X(b[0]) + '" y1="' + Y(b[1]) + '" y2="' + Y(b[2]) +
          '"/>');
      });
    }
    (opts.lines || []).forEach(function (l) {
      if (l.y == null) return;
      out.push('<line class="thr ' + (l.cls || "") + '" x1="' + L + '" x2="' + (W - R) + '" y1="' + Y(l.y) + '" y2="' +
        Y(l.y) + '"/><text class="ax" x="' + (W - R - 2) + '" y="' + (Y(l.y) - 3) + '" text-anchor="end">' +
        esc(l.label) + "</text>");
    });
    opts.series.forEach(function (s) {
      var pts = s.pts.filter(function (p) { return isFinite(p[0]) && p[1] != null; })
        .sort(function (a, b) { return a[0] - b[0]; });
      if (pts.length > 1 && !opts.noLines) {
        out.push('<polyline class="ln2" style="stroke:' + s.color + '" points="' + pts.map(function (p) {
          return X(p[0]) + "," + Y(p[1]);
        }).join(" ") + '"/>');
      }
      pts.forEach(function (p) {
        out.push('<circle class="pt ' + (p[2] || "") + '" r="3.5" cx="' + X(p[0]) + '" cy="' + Y(p[1]) + '" style="fill:' +
          (p[2] === "bad" ? "#c0392b" : s.color) + '"><title>' + esc(s.name) + ": " + esc(fmt(p[1])) + " at " +
          dayLabel(p[0]) + "</title></circle>");
      });
    });
    out.push("</svg>");
    return out.join("");
  }
  /* Stacked bars per run (test results): rows [{at, pass, warn, fail, error}]; each bar part is a "pt". */
  function barChart(rows) {
    if (!rows.length) return '<p class="muted">No test results recorded yet.</p>';
    var W = 640, H = 200, L = 40, R = 12, T = 10, B = 26, keys = ["pass", "warn", "fail", "error"];
    var totals = rows.map(function (r) { return keys.reduce(function (s, k) { return s + (r[k] || 0); }, 0); });
    var top = niceMax(Math.max.apply(null, totals.concat([1])));
    var slot = (W - L - R) / rows.length, bw = Math.max(2, Math.min(28, slot * 0.7));
    var out = ['<svg class="chart" viewBox="0 0 ' + W + " " + H + '" width="' + W + '" height="' + H + '">'];
    for (var k = 0; k <= 4; k++) {
      var y = T + (1 - k / 4) * (H - T - B);
      out.push('<line class="grid" x1="' + L + '" x2="' + (W - R) + '" y1="' + y + '" y2="' + y +
        '"/><text class="ax" x="' + (L - 4) + '" y="' + (y + 4) + '" text-anchor="end">' + shortNum(top * k / 4) + "</text>");
    }
    rows.forEach(function (r, n) {
      var x = L + n * slot + (slot - bw) / 2, base = H - B;
      keys.forEach(function (key) {
        var v = r[key] || 0;
        if (!v) return;
        var h = v / top * (H - T - B);
        base -= h;
        out.push('<rect class="pt s-' + key + '" x="' + x + '" y="' + base + '" width="' + bw + '" height="' + h +
          '"><title>' + esc(when(r.at)) + ": " + v + " " + key + "</title></rect>");
      });
    });
    out.push('<text class="ax" x="' + L + '" y="' + (H - 8) + '">' + esc(when(rows[0].at)) + '</text><text class="ax" x="' +
      (W - R) + '" y="' + (H - 8) + '" text-anchor="end">' + esc(when(rows[rows.length - 1].at)) + "</text></svg>");
    return out.join("");
  }
  function legendOf(series) {
    return '<div class="legend">' + series.map(function (s) {
      var idx = byId[s.id];
      return '<span class="pk"><i style="background:' + s.color + '"></i>' + (idx !== undefined ? link(idx) :
        esc(s.name)) + "</span>";
    }).join("") + "</div>";
  }

  // -------------------------------------------------------------------------------------- dashboard
  function dashboardPage() {
    var from = DASH.from || "none";
    var html = "<h1>Data quality</h1><p class=\"muted\">" + (from === "history" ?
      "From the run history in the warehouse (" + (DASH.runs || []).length + " most recent runs)." :
      from === "artifacts" ? "From the last run's artifacts in target/ (the run history was not reachable)." :
      "No runs recorded yet: run <code>mason build</code>, then <code>mason docs generate</code>.") + "</p>";
    html += '<section><h2>Test results per run</h2><div class="legend"><span class="pk"><i class="s-pass"></i>pass</span>' +
      '<span class="pk"><i class="s-warn"></i>warn</span><span class="pk"><i class="s-fail"></i>fail</span>' +
      '<span class="pk"><i class="s-error"></i>error</span></div><div id="c-tests">' + barChart(DASH.tests || []) +
      "</div></section>";
    var dur = DASH.durations || { at: [], series: [] };
    var series = dur.series.map(function (s, k) {
      return { id: s.id, name: s.n, color: PALETTE[k % PALETTE.length], pts: s.v.map(function (v, r) {
        return [ms(dur.at[r]), v];
      }) };
    });
    html += '<section><h2>Run durations of the slowest models</h2><div id="c-durations">' +
      timeChart({ series: series, yFmt: secs }) + "</div>" + legendOf(series) + "</section>";
    var an = DASH.anomalies || [];
    html += "<section><h2>Anomaly tests</h2>" + (an.length ? "" : '<p class="muted">No anomaly tests have run.</p>') +
      '<div class="grid">' + an.map(anomalyCard).join("") + "</div></section>";
    var fr = DASH.freshness || [];
    html += "<section><h2>Source freshness</h2>" + (fr.length ? "" :
      '<p class="muted">No freshness checks recorded (<code>mason source freshness</code>).</p>') +
      '<div class="grid">' + fr.map(freshnessCard).join("") + "</div></section>";
    var runs = (DASH.runs || []).slice().reverse();
    if (runs.length) {
      html += "<section><h2>Recent runs</h2><table><tr><th>started (UTC)</th><th>command</th><th>status</th>" +
        "<th>elapsed</th><th>nodes</th><th>errors</th><th>warns</th><th>skipped</th></tr>" + runs.map(function (r) {
        return "<tr><td>" + esc(when(r.at)) + "</td><td>" + esc(r.cmd) + "</td><td>" + statusBadge(r.status) +
          "</td><td>" + secs(r.secs) + "</td><td>" + esc(r.nodes) + "</td><td>" + esc(r.errors) + "</td><td>" +
          esc(r.warns) + "</td><td>" + esc(r.skips) + "</td></tr>";
      }).join("") + "</table></section>";
    }
    main.innerHTML = html;
  }
  function anomalyCard(a) {
    var groups = {};
    a.points.forEach(function (p) { (groups[p[4]] = groups[p[4]] || []).push(p); });
    var names = Object.keys(groups);
    var series = names.map(function (name, k) {
      return { name: name || a.kind, color: PALETTE[k % PALETTE.length], pts: groups[name].map(function (p) {
        var outside = p[2] != null && p[3] != null && (p[1] < p[2] || p[1] > p[3]);
        return [ms(p[0]), p[1], outside ? "bad" : ""];
      }) };
    });
    var band = names.length === 1 ? groups[names[0]].map(function (p) { return [ms(p[0]), p[2], p[3]]; }) :
      a.points.map(function (p) { return [ms(p[0]), p[2], p[3]]; });
    var node = a.node !== null && byId[a.node] !== undefined ? " on " + link(byId[a.node]) : "";
    var last = a.runs.length ? a.runs[a.runs.length - 1][1] : "";
    return '<div class="cardc anomaly" data-id="' + esc(a.id) + '"><h3>' + esc(a.n) + " " + statusBadge(last) + "</h3>" +
      '<p class="muted">' + esc(a.kind) + node + "; flagged buckets with their expected range (band)</p>" +
      (a.points.length ? timeChart({ series: series, band: band, noLines: true, height: 180 }) :
        '<p class="muted">No bucket flagged in these runs.</p>') + '<div class="runs">' +
      a.runs.slice(-40).map(function (r) {
        return '<i class="dot ' + (r[1] === "pass" ? "s-pass" : r[1] === "warn" ? "s-warn" : "s-fail") + '" title="' +
          esc(when(r[0]) + ": " + r[1]) + '"></i>';
      }).join("") + "</div></div>";
  }
  function freshnessCard(f) {
    var pts = f.points.map(function (p) {
      return [ms(p[0]), p[1], p[2] === "pass" ? "" : "bad"];
    });
    var last = f.points.length ? f.points[f.points.length - 1] : null;
    var idx = byId[f.id];
    return '<div class="cardc fresh" data-id="' + esc(f.id) + '"><h3>' + (idx !== undefined ? link(idx) : esc(f.n)) +
      " " + statusBadge(last ? last[2] : "") + "</h3><p class=\"muted\">age of the newest row" +
      (last ? ": " + age(last[1]) : "") + "</p>" + timeChart({
        series: [{ name: "age", color: "#2f6fb3", pts: pts }], yFmt: age, height: 160,
        lines: [{ y: f.warn, label: "warn after", cls: "warn" }, { y: f.error, label: "error after", cls: "bad" }]
      }) + "</div>";
  }

  // ------------------------------------------------------------------------------------------- start
  filter();
  route();
  window.__masonReady = performance.now();
  window.__masonTimings = { script: T0, parsed: T1, ready: window.__masonReady };
})();
