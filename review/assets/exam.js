/* Exam recording review: one exam's page (header, stills, timeline, flags,
 * review state). Needs window.EXAM (data.js) and window.ExamPlayer (player.js).
 *
 * Test hooks (for automated browser tests; keep small):
 *   window.reviewPage = {
 *     clock()   -> exam time in seconds (the one clock that drives all media)
 *     seek(t)   -> move the clock and every media element to t
 *     play(), pause(), setRate(r)
 *     media()   -> {camera: HTMLVideoElement|null, screen: ..., microphone: HTMLAudioElement|null}
 *     ready     -> true once the data is rendered (and, on http:, review.json was read)
 *   }
 * Stable selectors: #play #seekbar #speed-0.5 #speed-1 #speed-2 #speed-4 #speed-8
 *   #flagged-only; timeline event marks .marker[data-t]; timeline flag bars
 *   .flag-bar[data-id][data-t]; flag cards .flag[data-id][data-state] holding
 *   .dismiss .escalate .clear .goto buttons, textarea.note, button.save-note,
 *   and .state (text: open | dismissed | escalated); #save-status; #save-file.
 *
 * Review state: {flag id: {state, note, by, at}}, state in open|dismissed|escalated.
 * http(s): GET review.json on load (merged per flag, newest `at` wins, file wins
 * ties), each change PUT to review.json as {"exam": id, "flags": {...}}.
 * file: localStorage "exam-review:" + exam id, plus a "Save review file" download.
 * localStorage is written in both modes, so a note survives a reload even when
 * the server refuses the PUT.
 */
(function () {
  "use strict";

  var E = window.EXAM;
  var X = window.ExamPlayer;
  var ready = false;
  var SERVED = location.protocol === "http:" || location.protocol === "https:";
  var STATES = ["open", "dismissed", "escalated"];

  function $(id) { return document.getElementById(id); }

  if (!E || typeof E !== "object" || !X) {
    fail(!X ? "The player script (assets/player.js) is missing." : "The exam data (data.js) is missing or could not be read.");
    return;
  }

  function h(tag, attrs, kids) {
    var n = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") n.textContent = v;
        else if (k === "class") n.className = v;
        else n.setAttribute(k, v === true ? "" : String(v));
      });
    }
    (kids || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      n.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return n;
  }

  function num(x) { var n = Number(x); return isFinite(n) ? n : null; }

  function fmtClock(s) {
    s = Math.max(0, Math.floor(num(s) || 0));
    var hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
    function two(v) { return (v < 10 ? "0" : "") + v; }
    return (hh ? hh + ":" + two(mm) : two(mm)) + ":" + two(ss);
  }

  function fmtDur(s) {
    s = num(s);
    if (s === null) return "unknown";
    if (s < 60) return (Math.round(s * 10) / 10) + " s";
    var r = Math.round(s), hh = Math.floor(r / 3600), mm = Math.floor((r % 3600) / 60), ss = r % 60;
    return (hh ? hh + " h " : "") + (mm ? mm + " min " : "") + (ss && !hh ? ss + " s" : "").trim();
  }

  function fmtLocal(iso) {
    if (!iso) return "unknown";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function pct(x) { return Math.round(x * 100) + "%"; }

  function fail(msg) {
    var w = $("load-error");
    w.textContent = msg;
    w.hidden = false;
  }

  /* ---------------- header and coverage ---------------- */

  function renderHeader() {
    document.title = "Exam " + E.exam + " - review";
    $("exam-id").textContent = E.exam;
    var receipts = (E.receipts || []).filter(Boolean);
    var interrupted = E.interrupted ? "yes" : "no";
    if (num(E.interruptions)) interrupted += " (" + E.interruptions + " interruption" + (E.interruptions === 1 ? "" : "s") + ")";
    var rows = [
      ["Station", E.station || "unknown"],
      ["Started", fmtLocal(E.started_at)],
      ["Ended", fmtLocal(E.ended_at)],
      ["Duration", fmtDur(E.duration_s)],
      [receipts.length > 1 ? "Receipt codes" : "Receipt code", receipts.length ? receipts : "none"],
      ["Interrupted", interrupted],
      ["Time lost", fmtDur(E.time_lost_s || 0)]
    ];
    var dl = $("facts");
    rows.forEach(function (r) {
      var dd = Array.isArray(r[1])
        ? h("dd", { class: "code" }, r[1].reduce(function (acc, code, i) {
            if (i) acc.push(", ");
            acc.push(h("span", { text: code }));
            return acc;
          }, []))
        : h("dd", { text: r[1] });
      dl.appendChild(h("div", null, [h("dt", { text: r[0] }), dd]));
    });
    if (E.analysis && E.analysis.version) {
      dl.appendChild(h("div", { class: "analysis" }, [h("dt", { text: "Analysis" }),
        h("dd", { text: E.analysis.version + (E.analysis.generated_by ? " (" + E.analysis.generated_by + ")" : "") })]));
    }
    $("exam-folder").textContent = "exams/" + E.exam + "/";
  }

  function renderCoverage() {
    var c = E.coverage || {};
    var ul = $("coverage-list");
    [["faces", "Faces judged"], ["audio", "Audio present"], ["screen", "Screen present"]].forEach(function (p) {
      var v = num(c[p[0]]);
      var low = v !== null && v < 0.6;
      var li = h("li", { class: low ? "low" : null, "data-kind": p[0] }, [
        h("span", { class: "cov-name", text: p[1] }),
        h("span", { class: "cov-value", text: v === null ? "not measured" : pct(v) })
      ]);
      if (low) li.appendChild(h("span", { class: "badge low-badge", text: "low coverage" }));
      ul.appendChild(li);
    });
    $("coverage-note").textContent = c.note || "";
  }

  /* ---------------- media and stills ---------------- */

  var MEDIA_NAMES = { camera: "camera", screen: "screen", microphone: "microphone" };

  function setupMedia() {
    var media = E.media || {};
    var ranges = E.media_ranges || {};
    var spec = {};
    ["camera", "screen"].forEach(function (kind) {
      var v = $("video-" + kind), gap = $("gap-" + kind);
      if (media[kind]) {
        spec[kind] = { el: v, gap: gap, src: media[kind], ranges: ranges[kind] || null };
        v.addEventListener("error", function () {
          gap.textContent = "The " + MEDIA_NAMES[kind] + " file could not be played (" + media[kind] + ")";
          gap.hidden = false;
        });
      } else {
        v.remove();
        gap.textContent = "No " + MEDIA_NAMES[kind] + " recording for this exam";
        gap.hidden = false;
        gap.classList.add("absent");
      }
    });
    var a = $("audio-microphone"), sound = $("sound");
    if (media.microphone) {
      spec.microphone = { el: a, src: media.microphone, ranges: ranges.microphone || null };
      $("mic-status").textContent = "Microphone recording present";
      sound.addEventListener("change", function () { a.muted = !sound.checked; });
      a.addEventListener("error", function () {
        // A browser without a sound device (a headless or remote session) fails its audio
        // sink, not the file: say which.
        var msg = a.error && a.error.message ? a.error.message : "";
        $("mic-status").textContent = /AudioSink|audio sink|audio device/i.test(msg)
          ? "No sound output on this computer: the microphone recording is there but cannot be heard here"
          : "The microphone file could not be played";
      });
    } else {
      a.remove();
      sound.checked = false;
      sound.disabled = true;
      $("mic-status").textContent = "No microphone recording for this exam";
    }
    return spec;
  }

  function stillLabel(kind, faceNo) {
    if (kind === "PhotoId") return "Photo ID";
    if (kind === "Face") return "Face sample " + faceNo;
    return String(kind || "Still");
  }

  function stillFigure(s, label) {
    var img = h("img", { src: s.file, alt: label, loading: "lazy" });
    var link = h("a", { href: s.file, target: "_blank", rel: "noopener", title: "Open " + label + " full size" }, [img]);
    img.addEventListener("error", function () { link.replaceWith(h("span", { class: "img-missing", text: "image missing" })); });
    return h("figure", { class: "still" }, [link, h("figcaption", { text: label })]);
  }

  function stillColumn(title, stills) {
    var col = h("div", { class: "still-col" }, [h("h3", { text: title })]);
    var faceNo = 0;
    if (!stills.length) col.appendChild(h("p", { class: "muted small", text: "No stills." }));
    stills.forEach(function (s) {
      if (s.kind === "Face") faceNo++;
      col.appendChild(stillFigure(s, stillLabel(s.kind, faceNo)));
    });
    return col;
  }

  function renderStills() {
    var box = $("stills-list");
    var stills = E.stills || [];
    var P = E.profile;
    if (!P) {
      if (!stills.length) { box.appendChild(h("p", { class: "muted small", text: "No identity stills." })); return; }
      box.appendChild(stillColumn("Exam", stills));
      return;
    }
    box.classList.add("pair");
    box.appendChild(h("p", { class: "muted small pair-note", text: "Profile made " + String(P.created_at || "").slice(0, 10) +
      " from exam " + (P.exam || "?") + ". Same person? Judge by eye." }));
    box.appendChild(stillColumn("Exam", stills));
    box.appendChild(stillColumn("Profile", P.stills || []));
  }

  /* ---------------- timeline ---------------- */

  var flags = (E.flags || []).slice().sort(function (a, b) { return (num(a.start_s) || 0) - (num(b.start_s) || 0); });
  var events = (E.events || []).slice().sort(function (a, b) { return (num(a.t) || 0) - (num(b.t) || 0); });

  function total() { return Math.max(X.duration(), 0.001); }
  function frac(t) { return Math.max(0, Math.min(1, (num(t) || 0) / total())); }
  function pos(t) { return (frac(t) * 100).toFixed(3) + "%"; }

  function tickStep(dur) {
    var steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
    for (var i = 0; i < steps.length; i++) if (dur / steps[i] <= 10) return steps[i];
    return 14400;
  }

  function lane(label, sub, cls) {
    var track = h("div", { class: "tl-track" });
    track.addEventListener("click", function (ev) {
      var r = track.getBoundingClientRect();
      if (r.width > 0) X.seek((ev.clientX - r.left) / r.width * total());
    });
    var row = h("div", { class: "tl-lane " + cls }, [
      h("div", { class: "tl-label" }, [h("span", { text: label }), sub ? h("span", { class: "tl-sub", text: sub }) : null]),
      track
    ]);
    return { row: row, track: track };
  }

  function mark(cls, start, end, label, attrs) {
    var a = Object.assign({ type: "button", class: cls, "data-t": start, title: label, "aria-label": label }, attrs || {});
    var b = h("button", a);
    b.style.left = pos(start);
    if (end !== null && end > start) {
      b.classList.add("range");
      b.style.width = "max(4px, " + ((frac(end) - frac(start)) * 100).toFixed(3) + "%)";
    }
    b.addEventListener("click", function (ev) { ev.stopPropagation(); X.seek(start); });
    return b;
  }

  function renderTimeline() {
    var tl = $("timeline");
    var body = h("div", { class: "tl-body" });
    var dur = total(), step = tickStep(dur);
    var axis = h("div", { class: "tl-track tl-axis-track", "aria-hidden": "true" });
    for (var t = 0; t <= dur + 0.001; t += step) {
      var tk = h("span", { class: "tl-tick", text: fmtClock(t) });
      tk.style.left = pos(t);
      if (t > dur - step * 0.4 && t > 0) tk.classList.add("end");
      axis.appendChild(tk);
    }
    body.appendChild(h("div", { class: "tl-lane tl-axis" }, [h("div", { class: "tl-label" }), axis]));

    var flagKinds = [], flagLanes = {};
    flags.forEach(function (f) {
      if (!flagLanes[f.kind]) { flagLanes[f.kind] = lane(f.title || f.kind, "flag", "flag-lane"); flagKinds.push(f.kind); }
      var s = num(f.start_s) || 0, e = num(f.end_s);
      var label = (f.title || f.kind) + " flag at " + fmtClock(s) + (e !== null && e > s ? " to " + fmtClock(e) : "");
      flagLanes[f.kind].track.appendChild(mark("flag-bar", s, e, label, { "data-id": f.id }));
    });
    var laneNames = [], eventLanes = {};
    events.forEach(function (ev) {
      var name = ev.lane || "events";
      if (!eventLanes[name]) { eventLanes[name] = lane(name, "events", "event-lane"); laneNames.push(name); }
      var s = num(ev.t) || 0, e = num(ev.end_t);
      var label = fmtClock(s) + " " + (ev.kind ? ev.kind + ": " : "") + (ev.text || "");
      eventLanes[name].track.appendChild(mark("marker", s, e, label, { "data-kind": ev.kind || null }));
    });
    flagKinds.forEach(function (k) { body.appendChild(flagLanes[k].row); });
    laneNames.forEach(function (k) { body.appendChild(eventLanes[k].row); });
    if (!flagKinds.length && !laneNames.length) {
      var empty = lane("(nothing recorded)", null, "event-lane");
      body.appendChild(empty.row);
    }
    body.appendChild(h("div", { class: "tl-playhead", id: "playhead", "aria-hidden": "true" }));
    tl.appendChild(body);
  }

  /* ---------------- review state ---------------- */

  var review = {};
  var storeKey = "exam-review:" + E.exam;
  var dirtyNotes = {};

  function atTime(e) { var t = Date.parse(e && e.at); return isNaN(t) ? -Infinity : t; }

  function clean(e) {
    if (!e || typeof e !== "object") return null;
    var st = STATES.indexOf(e.state) >= 0 ? e.state : "open";
    return { state: st, note: typeof e.note === "string" ? e.note : "", by: typeof e.by === "string" ? e.by : "", at: typeof e.at === "string" ? e.at : "" };
  }

  /* incoming wins when its `at` is newer or equal */
  function merge(incoming) {
    if (!incoming || typeof incoming !== "object") return;
    Object.keys(incoming).forEach(function (id) {
      var e = clean(incoming[id]);
      if (e && (!review[id] || atTime(e) >= atTime(review[id]))) review[id] = e;
    });
  }

  function flagsOf(obj) {
    if (!obj || typeof obj !== "object") return null;
    if (obj.flags && typeof obj.flags === "object") {
      if (obj.exam && obj.exam !== E.exam) return null;   // someone else's file
      return obj.flags;
    }
    return obj;
  }

  function payload() { return { exam: E.exam, flags: review }; }

  function readLocal() {
    try { return flagsOf(JSON.parse(localStorage.getItem(storeKey) || "null")); } catch (e) { return null; }
  }

  function writeLocal() {
    try { localStorage.setItem(storeKey, JSON.stringify(payload())); return true; } catch (e) { return false; }
  }

  function status(text, kind) {
    var s = $("save-status");
    s.textContent = text;
    s.className = "save-status" + (kind ? " " + kind : "");
  }

  var putBusy = false, putAgain = false;
  function putFile() {
    if (putBusy) { putAgain = true; return; }
    putBusy = true;
    status("Saving\u2026");
    fetch("review.json", { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload(), null, 2) })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status + " " + r.statusText);
        status("Saved to review.json at " + new Date().toLocaleTimeString(), "ok");
      })
      .catch(function (err) {
        status("Not saved to the server (" + err.message + "). Kept in this browser; use \u201cSave review file\u201d.", "error");
        $("review-file").hidden = false;
      })
      .then(function () {
        putBusy = false;
        if (putAgain) { putAgain = false; putFile(); }
      });
  }

  function persist() {
    var local = writeLocal();
    if (SERVED) { putFile(); return; }
    if (local) status("Saved in this browser at " + new Date().toLocaleTimeString() + ". Save the review file to keep it with the recording.", "ok");
    else status("Could not save in this browser. Use \u201cSave review file\u201d now.", "error");
  }

  function downloadFile() {
    var blob = new Blob([JSON.stringify(payload(), null, 2) + "\n"], { type: "application/json" });
    var url = URL.createObjectURL(blob);
    var a = h("a", { href: url, download: "review.json" });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    status("review.json saved to your downloads: move it into this exam's folder, next to this page.", "ok");
  }

  function reviewer() { return $("reviewer").value.trim(); }

  function change(id, patch) {
    var cur = review[id] || { state: "open", note: "", by: "", at: "" };
    var e = Object.assign({}, cur, patch, { by: reviewer(), at: new Date().toISOString() });
    review[id] = clean(e);
    delete dirtyNotes[id];
    updateCard(id);
    persist();
  }

  /* ---------------- flag list ---------------- */

  var cards = {};

  function stateOf(id) { return review[id] ? review[id].state : "open"; }

  function whenText(f) {
    var s = num(f.start_s) || 0, e = num(f.end_s);
    if (e !== null && e > s) return fmtClock(s) + " \u2013 " + fmtClock(e) + " (" + fmtDur(e - s) + ")";
    return "at " + fmtClock(s);
  }

  function renderFlags() {
    var list = $("flag-list");
    if (!flags.length) {
      list.appendChild(h("p", { class: "no-flags", text: "No flags for this exam." }));
      document.querySelector(".review-bar").hidden = true;
      return;
    }
    flags.forEach(function (f) {
      var s = num(f.start_s) || 0;
      var note = h("textarea", { class: "note", rows: 2, id: "note-" + f.id });
      var stateEl = h("span", { class: "state" });
      var details = h("dl", { class: "detector" }, [
        h("div", null, [h("dt", { text: "Detector" }), h("dd", { text: (f.detector || "unknown") + (f.detector_version ? " \u2014 " + f.detector_version : "") })]),
        h("div", null, [h("dt", { text: "Threshold" }), h("dd", { text: f.threshold || "not given" })]),
        f.clip ? h("div", null, [h("dt", { text: "Clip" }), h("dd", { text: fmtClock(f.clip.start_s) + " \u2013 " + fmtClock(f.clip.end_s) })]) : null
      ]);
      var evidence = f.still
        ? h("a", { class: "evidence", href: f.still, target: "_blank", rel: "noopener" }, [h("img", { src: f.still, alt: "Evidence still: " + (f.title || f.kind) + " " + whenText(f), loading: "lazy" })])
        : h("div", { class: "evidence none", text: "No still" });
      var img = evidence.querySelector && evidence.querySelector("img");
      if (img) img.addEventListener("error", function () { evidence.replaceWith(h("div", { class: "evidence none", text: "Still missing" })); });
      var btn = function (cls, text) { return h("button", { type: "button", class: cls, text: text }); };
      var go = btn("goto", "Go to " + fmtClock(s)), dis = btn("dismiss", "Dismiss"),
          esc = btn("escalate", "Escalate"), clr = btn("clear", "Clear (back to open)"),
          save = btn("save-note", "Save note");
      var noteHint = h("span", { class: "note-hint small" });
      var changed = h("p", { class: "changed small" });
      var card = h("article", { class: "flag", "data-id": f.id, "data-kind": f.kind, id: "flag-" + f.id, "aria-labelledby": "flag-h-" + f.id }, [
        evidence,
        h("div", { class: "flag-body" }, [
          h("div", { class: "flag-top" }, [
            h("h3", { id: "flag-h-" + f.id, text: f.title || f.kind }),
            h("span", { class: "state-box" }, [h("span", { class: "state-label", text: "State: " }), stateEl])
          ]),
          h("p", { class: "when", text: whenText(f) }),
          h("p", { class: "reason", text: f.reason || "" }),
          details,
          h("div", { class: "actions" }, [go, dis, esc, clr]),
          h("label", { class: "note-label", for: "note-" + f.id, text: "Note" }),
          note,
          h("div", { class: "note-actions" }, [save, noteHint]),
          changed
        ])
      ]);
      go.addEventListener("click", function () { X.seek(s); });
      dis.addEventListener("click", function () { change(f.id, { state: "dismissed", note: note.value }); });
      esc.addEventListener("click", function () { change(f.id, { state: "escalated", note: note.value }); });
      clr.addEventListener("click", function () { change(f.id, { state: "open", note: note.value }); });
      save.addEventListener("click", function () { change(f.id, { note: note.value }); });
      note.addEventListener("input", function () {
        dirtyNotes[f.id] = true;
        noteHint.textContent = "Note not saved yet";
      });
      cards[f.id] = { card: card, state: stateEl, note: note, hint: noteHint, changed: changed, f: f };
      list.appendChild(card);
      updateCard(f.id);
    });
  }

  function updateCard(id) {
    var c = cards[id];
    if (!c) return;
    var e = review[id], st = stateOf(id);
    c.card.setAttribute("data-state", st);
    c.state.textContent = st;
    c.state.className = "state state-" + st;
    if (!dirtyNotes[id]) { c.note.value = e ? e.note : ""; c.hint.textContent = ""; }
    c.changed.textContent = e && e.at
      ? "Last change: " + st + (e.by ? " by " + e.by : "") + ", " + fmtLocal(e.at)
      : "Not reviewed yet.";
    c.card.querySelector(".dismiss").setAttribute("aria-pressed", st === "dismissed");
    c.card.querySelector(".escalate").setAttribute("aria-pressed", st === "escalated");
    var bar = document.querySelector('.flag-bar[data-id="' + cssEsc(id) + '"]');
    if (bar) bar.setAttribute("data-state", st);
  }

  function cssEsc(s) { return window.CSS && CSS.escape ? CSS.escape(s) : String(s).replace(/["\\]/g, "\\$&"); }

  function loadReview(done) {
    merge(E.review);
    merge(readLocal());
    try { $("reviewer").value = localStorage.getItem("exam-review-by") || ""; } catch (e) { /* no storage */ }
    $("reviewer").addEventListener("change", function () {
      try { localStorage.setItem("exam-review-by", reviewer()); } catch (e) { /* no storage */ }
    });
    $("save-file").addEventListener("click", downloadFile);
    if (!SERVED) {
      $("review-file").hidden = !flags.length;
      status("Decisions are kept in this browser until you save the review file.");
      done();
      return;
    }
    var finished = false;
    var finish = function () { if (!finished) { finished = true; done(); } };
    setTimeout(finish, 4000);
    fetch("review.json", { cache: "no-store" })
      .then(function (r) {
        if (r.status === 404) return null;
        if (!r.ok) throw new Error(r.status + " " + r.statusText);
        return r.json();
      })
      .then(function (obj) {
        if (obj) merge(flagsOf(obj));
        status(obj ? "Loaded review.json from the server." : "No review.json yet; the first change creates it.");
      })
      .catch(function (err) { status("Could not read review.json (" + err.message + ").", "error"); })
      .then(function () { Object.keys(cards).forEach(updateCard); finish(); });
  }

  /* ---------------- controls, keyboard, ticking ---------------- */

  var seekDragging = false;
  var lastRate = null, lastPlaying = null, lastCurrent = "";

  function setupControls() {
    var bar = $("seekbar");
    bar.max = String(X.duration());
    $("play").addEventListener("click", function () { X.toggle(); });
    bar.addEventListener("input", function () { seekDragging = true; X.seek(Number(bar.value)); });
    bar.addEventListener("change", function () { seekDragging = false; X.seek(Number(bar.value)); });
    Array.prototype.forEach.call(document.querySelectorAll(".speeds button"), function (b) {
      b.addEventListener("click", function () { X.setRate(Number(b.getAttribute("data-rate"))); });
    });
    var fo = $("flagged-only");
    if (!X.windows().length) {
      fo.disabled = true;
      fo.parentNode.title = "This exam has no flags";
    }
    fo.addEventListener("change", function () { X.setFlaggedOnly(fo.checked); });
    X.bindKeys(document);
  }

  function onTick(t) {
    $("time").textContent = fmtClock(t) + " / " + fmtClock(X.duration());
    if (!seekDragging) $("seekbar").value = String(Math.round(t * 10) / 10);
    var ph = $("playhead");
    if (ph) ph.style.setProperty("--p", String(frac(t)));
    var playing = X.isPlaying();
    if (playing !== lastPlaying) {
      lastPlaying = playing;
      $("play").textContent = playing ? "Pause" : "Play";
      $("play").setAttribute("aria-label", playing ? "Pause" : "Play");
    }
    var rate = X.rate();
    if (rate !== lastRate) {
      lastRate = rate;
      Array.prototype.forEach.call(document.querySelectorAll(".speeds button"), function (b) {
        b.setAttribute("aria-pressed", Number(b.getAttribute("data-rate")) === rate ? "true" : "false");
      });
    }
    var cur = [];
    flags.forEach(function (f) {
      var s = num(f.start_s) || 0, e = num(f.end_s);
      if (t >= s && t <= (e !== null && e > s ? e : s + 1)) cur.push(f.id);
    });
    var key = cur.join("\n");
    if (key !== lastCurrent) {
      lastCurrent = key;
      Object.keys(cards).forEach(function (id) { cards[id].card.classList.toggle("current", cur.indexOf(id) >= 0); });
      Array.prototype.forEach.call(document.querySelectorAll(".flag-bar"), function (b) {
        b.classList.toggle("current", cur.indexOf(b.getAttribute("data-id")) >= 0);
      });
    }
  }

  /* ---------------- start ---------------- */

  function start() {
    var dur = num(E.duration_s);
    if (dur === null || dur <= 0) {
      dur = 0;
      flags.forEach(function (f) { dur = Math.max(dur, num(f.end_s) || 0, num(f.start_s) || 0); });
      events.forEach(function (ev) { dur = Math.max(dur, num(ev.end_t) || 0, num(ev.t) || 0); });
    }
    var windows = flags.map(function (f) {
      var c = f.clip || {};
      var s = num(c.start_s), e = num(c.end_s);
      if (s === null || e === null) { s = num(f.start_s) || 0; e = num(f.end_s); if (e === null || e <= s) e = s + 5; }
      return [s, e];
    });
    renderHeader();
    renderCoverage();
    renderStills();
    var spec = setupMedia();
    X.init({ duration: dur, windows: windows, media: spec });
    X.setJumpTimes(flags.map(function (f) { return num(f.start_s) || 0; })
      .concat(events.map(function (ev) { return num(ev.t) || 0; }))
      .map(function (t) { return Math.max(0, Math.min(dur, t)); })
    );
    renderTimeline();
    renderFlags();
    setupControls();
    X.onTick(onTick);
    onTick(X.clock());
    loadReview(function () { Object.keys(cards).forEach(updateCard); ready = true; document.body.setAttribute("data-ready", "true"); });
  }

  window.reviewPage = {
    clock: function () { return X ? X.clock() : 0; },
    seek: function (t) { X.seek(t); },
    play: function () { X.play(); },
    pause: function () { X.pause(); },
    setRate: function (r) { X.setRate(r); },
    media: function () { return X ? X.media() : { camera: null, screen: null, microphone: null }; },
    get ready() { return ready; }
  };

  try { start(); } catch (err) {
    fail("The page could not be built: " + (err && err.message));
    if (window.console) console.error(err);
  }
})();
