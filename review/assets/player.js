/* Exam recording review: the player (one clock for every media element).
 *
 * One JS clock (performance.now based) is the truth; exam time 0 = exam start,
 * and every media file already uses exam time (media.currentTime == exam time).
 * Each tick, every media element whose range covers the clock plays at the
 * clock's rate and is re-seeked when it drifts more than 0.25 s; outside its
 * range it is paused and a "no recording here" note shows. If an element
 * refuses a rate (or cannot keep up, e.g. 8x), it is paused and kept seeked
 * to the clock ("step mode"; a paused audio element is silent).
 *
 * Keys (bindKeys): Space play/pause; J = previous flag/event start strictly
 * before clock - 0.5 s; K = next one strictly after clock + 0.05 s; ignored
 * while focus is in a text field or with Ctrl/Alt/Meta.
 *
 * Loaded before exam.js; exposes window.ExamPlayer (used by exam.js only).
 * Optional data: EXAM.media_ranges = {camera: [[start_s, end_s], ...], ...}
 * if the Rust side knows a stream's gaps; otherwise a stream covers
 * [first seekable time, its duration].
 */
(function () {
  "use strict";

  var DRIFT_PLAYING = 0.25;   // s: re-seek a playing element past this drift
  var DRIFT_PAUSED = 0.04;    // s: when paused, show the exact frame
  var SEEK_GRACE_MS = 400;    // after a seek, give the element time to settle
  var KINDS = ["camera", "screen", "microphone"];

  var P = {
    duration: 0,
    playing: false,
    rate: 1,
    baseT: 0,          // clock value at basePerf
    basePerf: 0,
    windows: [],       // merged flag clip windows [[s, e], ...]
    flaggedOnly: false,
    media: {},         // kind -> {el, gap, ranges, stepMode, graceUntil, seekTimes, playPending}
    listeners: [],
    jumpTimes: [],     // sorted start times of flags and events (J / K)
    raf: 0
  };

  function now() { return performance.now(); }

  function clamp(t) {
    if (!isFinite(t)) t = 0;
    return Math.max(0, Math.min(P.duration, t));
  }

  function clock() {
    if (!P.playing) return P.baseT;
    return clamp(P.baseT + (now() - P.basePerf) / 1000 * P.rate);
  }

  function rebase(t) {
    P.baseT = clamp(t);
    P.basePerf = now();
  }

  /* ---- media ranges ---- */

  function rangesOf(m) {
    if (m.ranges) return m.ranges;
    var el = m.el;
    if (!el || el.readyState < 1) return [];
    var start = 0;
    try { if (el.seekable && el.seekable.length) start = el.seekable.start(0); } catch (e) { start = 0; }
    var end = el.duration;
    if (!isFinite(end) || end <= 0) end = P.duration;
    return [[start, end]];
  }

  function covers(m, t) {
    var r = rangesOf(m);
    for (var i = 0; i < r.length; i++) {
      // an element at its very end shows its last frame: count it as outside
      if (t >= r[i][0] - 0.001 && t < r[i][1] - 0.05) return true;
    }
    return false;
  }

  /* ---- keeping one element in step with the clock ---- */

  function setGap(m, show) {
    if (m.gap && m.gap.hidden === show) m.gap.hidden = !show;
  }

  function seekEl(m, t) {
    try { m.el.currentTime = t; } catch (e) { /* not seekable yet */ }
    var w = now();
    m.seekStart = w;
    m.graceUntil = w + SEEK_GRACE_MS;
    m.seekTimes.push(w);
    while (m.seekTimes.length && m.seekTimes[0] < w - 3000) m.seekTimes.shift();
  }

  function syncEl(m, t, force) {
    var el = m.el;
    if (!el) return;
    if (el.readyState < 1) { setGap(m, false); return; }   // metadata not loaded yet
    var inRange = covers(m, t);
    setGap(m, !inRange);
    if (!inRange) {
      if (!el.paused) el.pause();
      return;
    }
    var drift = Math.abs(el.currentTime - t);

    if (P.playing && !m.stepMode) {
      if (el.playbackRate !== P.rate) {
        try { el.playbackRate = P.rate; } catch (e) { m.stepMode = true; }
        if (el.playbackRate !== P.rate) m.stepMode = true;
      }
      if (!m.stepMode) {
        if (force || (drift > DRIFT_PLAYING && !el.seeking && now() > m.graceUntil)) {
          // aim slightly ahead when fast, so the element lands near the clock
          seekEl(m, Math.min(t + (force ? 0 : Math.min(0.1 * P.rate, 0.5)), P.duration));
          // an element that keeps falling behind cannot hold this rate: step it
          if (m.seekTimes.length >= 6 && P.rate > 1) m.stepMode = true;
        }
        if (!m.stepMode && el.paused && !m.playPending) {
          m.playPending = true;
          var p = el.play();
          if (p && p.then) {
            p.then(function () { m.playPending = false; },
                   function (err) {
                     m.playPending = false;
                     if (err && err.name === "NotAllowedError") m.blocked = true;
                     else m.stepMode = true;
                     emit();
                   });
          } else {
            m.playPending = false;
          }
        }
        return;
      }
    }
    // paused clock, or step mode: element paused, kept on the clock
    if (!el.paused) el.pause();
    var limit = P.playing ? DRIFT_PLAYING : DRIFT_PAUSED;
    // stepping while the clock runs: aim where the clock will be when the seek lands
    var lead = P.playing ? Math.min(m.seekLatency * P.rate, 3) : 0;
    if (force || (drift > limit && !el.seeking)) seekEl(m, Math.min(t + lead, P.duration));
  }

  function syncAll(force) {
    var t = clock();
    for (var i = 0; i < KINDS.length; i++) {
      var m = P.media[KINDS[i]];
      if (m) syncEl(m, t, force);
    }
  }

  /* ---- flagged windows ---- */

  function inWindow(t) {
    for (var i = 0; i < P.windows.length; i++) {
      if (t >= P.windows[i][0] && t < P.windows[i][1]) return i;
    }
    return -1;
  }

  function nextWindowStart(t) {
    for (var i = 0; i < P.windows.length; i++) {
      if (P.windows[i][0] > t) return P.windows[i][0];
    }
    return null;
  }

  /* Returns false when playback must stop (past the last window). */
  function applyFlaggedOnly() {
    if (!P.flaggedOnly || !P.playing || !P.windows.length) return true;
    var t = clock();
    if (inWindow(t) >= 0) return true;
    var next = nextWindowStart(t);
    if (next === null) {
      var lastEnd = P.windows[P.windows.length - 1][1];
      pause();
      rebase(Math.min(lastEnd, P.duration));
      syncAll(true);
      return false;
    }
    rebase(next);
    syncAll(true);
    return true;
  }

  /* ---- the tick ---- */

  function emit() {
    var t = clock();
    for (var i = 0; i < P.listeners.length; i++) {
      try { P.listeners[i](t); } catch (e) { if (window.console) console.error(e); }
    }
  }

  function tick() {
    if (P.playing) {
      if (clock() >= P.duration) {
        pause();
        rebase(P.duration);
      } else {
        applyFlaggedOnly();
      }
    }
    syncAll(false);
    emit();
  }

  function loop() {
    P.raf = 0;
    tick();
    if (P.playing) P.raf = requestAnimationFrame(loop);
  }

  /* ---- public actions ---- */

  function play() {
    if (P.playing) return;
    var t = clock();
    if (t >= P.duration - 0.05) t = 0;                       // replay from the start
    if (P.flaggedOnly && P.windows.length && inWindow(t) < 0) {
      var next = nextWindowStart(t);
      t = next === null ? P.windows[0][0] : next;
    }
    rebase(t);
    P.playing = true;
    resetSteps();
    syncAll(true);
    emit();
    if (!P.raf) P.raf = requestAnimationFrame(loop);
  }

  function pause() {
    if (!P.playing) return;
    rebase(clock());
    P.playing = false;
    for (var i = 0; i < KINDS.length; i++) {
      var m = P.media[KINDS[i]];
      if (m && m.el && !m.el.paused) m.el.pause();
    }
    syncAll(true);
    emit();
  }

  function seek(t) {
    rebase(Number(t));
    syncAll(true);
    emit();
  }

  function setRate(r) {
    r = Number(r);
    if (!(r > 0)) return;
    rebase(clock());
    P.rate = r;
    resetSteps();
    syncAll(true);
    emit();
  }

  function resetSteps() {
    for (var i = 0; i < KINDS.length; i++) {
      var m = P.media[KINDS[i]];
      if (m) { m.stepMode = false; m.seekTimes = []; m.graceUntil = 0; }
    }
  }

  function setFlaggedOnly(on) {
    P.flaggedOnly = !!on;
    if (P.flaggedOnly && P.playing) applyFlaggedOnly();
    emit();
  }

  function mergeWindows(list) {
    var w = list.filter(function (x) { return x[1] > x[0]; })
      .map(function (x) { return [Math.max(0, x[0]), Math.min(P.duration, x[1])]; })
      .filter(function (x) { return x[1] > x[0]; })
      .sort(function (a, b) { return a[0] - b[0]; });
    var out = [];
    for (var i = 0; i < w.length; i++) {
      if (out.length && w[i][0] <= out[out.length - 1][1]) {
        out[out.length - 1][1] = Math.max(out[out.length - 1][1], w[i][1]);
      } else {
        out.push([w[i][0], w[i][1]]);
      }
    }
    return out;
  }

  /* opts: {duration, windows: [[s,e]...], media: {kind: {el, gap, src, ranges}}} */
  function init(opts) {
    P.duration = Math.max(0, Number(opts.duration) || 0);
    P.windows = mergeWindows(opts.windows || []);
    KINDS.forEach(function (kind) {
      var spec = opts.media[kind];
      if (!spec || !spec.el) return;
      var m = {
        el: spec.el, gap: spec.gap, ranges: spec.ranges || null,
        stepMode: false, graceUntil: 0, seekTimes: [], playPending: false, blocked: false,
        seekStart: 0, seekLatency: 0.08
      };
      P.media[kind] = m;
      var el = spec.el;
      el.addEventListener("loadedmetadata", function () { syncEl(m, clock(), true); emit(); });
      el.addEventListener("error", function () { m.failed = true; emit(); });
      el.addEventListener("seeked", function () {
        if (!m.seekStart) return;
        var lat = Math.min((now() - m.seekStart) / 1000, 0.5);
        m.seekLatency = 0.7 * m.seekLatency + 0.3 * lat;
        m.seekStart = 0;
      });
      if (spec.src) el.src = spec.src;
    });
    // a slow timer as well as rAF: rAF stops in background tabs
    setInterval(tick, 250);
    tick();
  }

  /* ---- keyboard: Space play/pause, J previous / K next event or flag start ---- */

  function jump(dir) {
    var t = clock(), best = null;
    for (var i = 0; i < P.jumpTimes.length; i++) {
      var v = P.jumpTimes[i];
      if (dir < 0 && v < t - 0.5) best = v;
      if (dir > 0 && v > t + 0.05) { best = v; break; }
    }
    if (best !== null) seek(best);
  }

  function isTextField(n) {
    if (!n || !n.tagName) return false;
    if (n.isContentEditable) return true;
    var tag = n.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    return ["checkbox", "radio", "range", "button", "submit", "reset", "color", "file", "image"].indexOf(n.type) < 0;
  }

  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || isTextField(ev.target)) return;
    var k = ev.key;
    if (k === " " || k === "Spacebar") {
      var t = ev.target, tag = t && t.tagName;
      // other buttons, checkboxes and links keep their own Space behaviour
      if ((tag === "BUTTON" && t.id !== "play") || tag === "A" || (tag === "INPUT" && t.type !== "range")) return;
      ev.preventDefault();
      toggle();
    } else if (k === "j" || k === "J") {
      ev.preventDefault(); jump(-1);
    } else if (k === "k" || k === "K") {
      ev.preventDefault(); jump(1);
    }
  }

  function toggle() { if (P.playing) pause(); else play(); }

  function setJumpTimes(list) {
    P.jumpTimes = list.filter(isFinite).map(clamp).sort(function (a, b) { return a - b; });
  }

  window.ExamPlayer = {
    init: init,
    clock: clock,
    seek: seek,
    play: play,
    pause: pause,
    toggle: toggle,
    setJumpTimes: setJumpTimes,
    bindKeys: function (doc) { doc.addEventListener("keydown", onKey); },
    setRate: setRate,
    setFlaggedOnly: setFlaggedOnly,
    isPlaying: function () { return P.playing; },
    rate: function () { return P.rate; },
    duration: function () { return P.duration; },
    windows: function () { return P.windows.slice(); },
    onTick: function (cb) { P.listeners.push(cb); },
    mediaState: function (kind) { return P.media[kind] || null; },
    media: function () {
      return {
        camera: P.media.camera ? P.media.camera.el : null,
        screen: P.media.screen ? P.media.screen.el : null,
        microphone: P.media.microphone ? P.media.microphone.el : null
      };
    }
  };
})();
