/* Exam recording review: the roster (one row per exam). Needs window.ROSTER
 * (roster-data.js). Click a column header to sort by it (again to reverse).
 * Rows: tr.exam-row[data-exam]; review text in td.review .rv.
 */
(function () {
  "use strict";

  var R = window.ROSTER;

  var KIND_NAMES = {
    no_face: "no face",
    more_than_one_face: "more than one face",
    camera_dark: "camera dark",
    sound: "sound",
    keys_blocked: "keys blocked",
    host_blocked: "host blocked",
    input_attached: "input device attached",
    device_lost: "device lost",
    storage_low: "storage low",
    interruption: "interruption",
    proctor_action: "proctor action"
  };

  function $(id) { return document.getElementById(id); }

  function h(tag, attrs, kids) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") n.textContent = v;
      else if (k === "class") n.className = v;
      else n.setAttribute(k, String(v));
    });
    (kids || []).forEach(function (c) {
      if (c !== null && c !== undefined) n.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return n;
  }

  function num(x) { var n = Number(x); return isFinite(n) ? n : null; }

  function fmtDur(s) {
    s = num(s);
    if (s === null) return "unknown";
    if (s < 60) return (Math.round(s * 10) / 10) + " s";
    var r = Math.round(s), hh = Math.floor(r / 3600), mm = Math.floor((r % 3600) / 60), ss = r % 60;
    return ((hh ? hh + " h " : "") + (mm ? mm + " min " : "") + (ss && !hh ? ss + " s" : "")).trim();
  }

  function fmtLocal(iso) {
    if (!iso) return "unknown";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit" });
  }

  function kindName(k) { return KIND_NAMES[k] || String(k).replace(/_/g, " "); }

  function flagTotal(x) {
    var f = x.flags || {};
    return Object.keys(f).reduce(function (a, k) { return a + (num(f[k]) || 0); }, 0);
  }

  function minCoverage(x) {
    var c = x.coverage || {}, vals = [c.faces, c.audio, c.screen].map(num).filter(function (v) { return v !== null; });
    return vals.length ? Math.min.apply(null, vals) : -1;
  }

  function reviewText(x) {
    var r = x.review || {}, open = num(r.open) || 0, esc = num(r.escalated) || 0, dis = num(r.dismissed) || 0;
    if (!flagTotal(x) && !open && !esc && !dis) return { text: "no flags", cls: "none" };
    if (open) {
      return { text: open + " open" + (esc ? ", " + esc + " escalated" : ""), cls: "open", esc: esc };
    }
    return { text: "reviewed" + (esc ? " (" + esc + " escalated)" : ""), cls: "done", esc: esc };
  }

  var SORTS = {
    exam: function (x) { return String(x.exam || ""); },
    station: function (x) { return String(x.station || ""); },
    started: function (x) { var t = Date.parse(x.started_at); return isNaN(t) ? 0 : t; },
    duration: function (x) { return num(x.duration_s) || 0; },
    interruptions: function (x) { return num(x.interruptions) || 0; },
    lost: function (x) { return num(x.time_lost_s) || 0; },
    coverage: minCoverage,
    flags: flagTotal,
    review: function (x) { var r = x.review || {}; return (num(r.open) || 0) * 1000 + (num(r.escalated) || 0); }
  };

  function coverageCell(x) {
    var c = x.coverage || {}, td = h("td", { class: "coverage-cell" });
    [["faces", "Faces"], ["audio", "Audio"], ["screen", "Screen"]].forEach(function (p) {
      var v = num(c[p[0]]);
      var low = v !== null && v < 0.6;
      var span = h("span", { class: "cov" + (low ? " low" : ""), "data-kind": p[0],
        text: p[1] + " " + (v === null ? "n/a" : Math.round(v * 100) + "%") + (low ? " \u2014 low coverage" : "") });
      td.appendChild(span);
    });
    return td;
  }

  function flagsCell(x) {
    var f = x.flags || {}, kinds = Object.keys(f).filter(function (k) { return num(f[k]); });
    if (!kinds.length) return h("td", { class: "flags-cell muted", text: "no flags" });
    var ul = h("ul", { class: "kinds" });
    kinds.sort().forEach(function (k) {
      ul.appendChild(h("li", { "data-kind": k }, [h("span", { class: "count", text: String(f[k]) }), kindName(k)]));
    });
    return h("td", { class: "flags-cell" }, [ul]);
  }

  function row(x) {
    var rv = reviewText(x);
    var rvEl = h("span", { class: "rv " + rv.cls, text: rv.text });
    return h("tr", { class: "exam-row", "data-exam": x.exam }, [
      h("td", null, [h("a", { class: "exam-link", href: x.href || ("exams/" + encodeURIComponent(x.exam) + "/index.html"), text: x.exam })]),
      h("td", { text: x.station || "unknown" }),
      h("td", { text: fmtLocal(x.started_at) }),
      h("td", { class: "num", text: fmtDur(x.duration_s) }),
      h("td", { class: "num", text: String(num(x.interruptions) || 0) + (x.interrupted && !num(x.interruptions) ? " (interrupted)" : "") }),
      h("td", { class: "num", text: fmtDur(x.time_lost_s || 0) }),
      coverageCell(x),
      flagsCell(x),
      h("td", { class: "review" }, [rvEl])
    ]);
  }

  var exams = [];
  var sortKey = "started", sortDir = 1;

  function render() {
    var f = SORTS[sortKey];
    var list = exams.slice().sort(function (a, b) {
      var va = f(a), vb = f(b);
      var c = typeof va === "string" ? va.localeCompare(vb) : va - vb;
      return c * sortDir || String(a.exam).localeCompare(String(b.exam));
    });
    var body = $("rows");
    body.textContent = "";
    if (!list.length) {
      body.appendChild(h("tr", null, [h("td", { colspan: 9, text: "No exams in this folder." })]));
    }
    list.forEach(function (x) { body.appendChild(row(x)); });
    Array.prototype.forEach.call(document.querySelectorAll("#roster th[data-key]"), function (th) {
      var k = th.getAttribute("data-key");
      if (k === sortKey) th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
  }

  function summary() {
    var open = 0, flagged = 0, low = 0;
    exams.forEach(function (x) {
      if ((num((x.review || {}).open) || 0) > 0) open++;
      if (flagTotal(x)) flagged++;
      var m = minCoverage(x);
      if (m >= 0 && m < 0.6) low++;
    });
    var n = exams.length;
    $("summary").textContent = n + " exam" + (n === 1 ? "" : "s") + "; " + flagged + " with flags, " +
      open + " with flags still open; " + low + " with low coverage." +
      (R.generated_by ? " Built by " + R.generated_by + "." : "");
  }

  function start() {
    if (!R || typeof R !== "object" || !Array.isArray(R.exams)) {
      var w = $("load-error");
      w.textContent = "The roster data (roster-data.js) is missing or could not be read.";
      w.hidden = false;
      return;
    }
    exams = R.exams.filter(function (x) { return x && typeof x === "object"; });
    Array.prototype.forEach.call(document.querySelectorAll("#roster th[data-key] button"), function (b) {
      b.addEventListener("click", function () {
        var k = b.parentNode.getAttribute("data-key");
        if (k === sortKey) sortDir = -sortDir;
        else { sortKey = k; sortDir = 1; }
        render();
      });
    });
    summary();
    render();
    document.body.setAttribute("data-ready", "true");
  }

  start();
})();
