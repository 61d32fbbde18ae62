// vitool explore: the page's script. It talks only to the server that served
// it (the /api/ endpoints) and draws on canvases; no library, no network.
"use strict";

const state = {
  info: null,
  planes: {},   // name → plane state
  nearest: null,
  pending: 0,
};

function $(sel, root) { return (root || document).querySelector(sel); }

function showError(msg) {
  const e = $("#error");
  e.textContent = msg;
  e.hidden = false;
}

async function api(path) {
  const r = await fetch(path);
  const body = await r.json().catch(() => ({ error: "bad answer from the server" }));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function bytesOf(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// drawImage paints a grey image (bytes 0–255, row-major) scaled onto canvas.
function drawImage(canvas, b64) {
  const { rows, cols } = state.info;
  const px = bytesOf(b64);
  const small = document.createElement("canvas");
  small.width = cols; small.height = rows;
  const sctx = small.getContext("2d");
  const img = sctx.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const v = px[i];
    img.data[4 * i] = v; img.data[4 * i + 1] = v; img.data[4 * i + 2] = v; img.data[4 * i + 3] = 255;
  }
  sctx.putImageData(img, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

function imageCanvas(b64, scale) {
  const c = document.createElement("canvas");
  c.width = state.info.cols * scale; c.height = state.info.rows * scale;
  drawImage(c, b64);
  return c;
}

function labelColor(l) {
  if (l < 0 || l === undefined || l === null) return "#888888";
  const p = state.info.palette;
  return p[((l % p.length) + p.length) % p.length];
}

// niceTicks returns round numbers between lo and hi, about n of them.
function niceTicks(lo, hi, n) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(f => f * mag).find(s => s >= raw);
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * span; t += step) out.push(Math.abs(t) < 1e-12 * span ? 0 : t);
  return out;
}

function fmtTick(t) {
  const a = Math.abs(t);
  if (a >= 1e4 || (a > 0 && a < 1e-3)) return t.toExponential(0);
  return String(Math.round(t * 1000) / 1000);
}

// ---- planes -------------------------------------------------------------

const PAD = { left: 44, right: 8, top: 8, bottom: 30 };

function makePlane(model, panel) {
  const canvas = $("canvas.plane", panel);
  const p = {
    model, panel, canvas,
    decoded: $("canvas.decoded", panel),
    u: [], v: [], labels: null,
    marker: null, path: null, samples: null, ends: null,
    inflight: false, queued: null, decodes: 0,
  };
  $(".title", panel).textContent = model.title + ": " + model.space + " plane";
  $(".plane-text", panel).textContent = model.desc + ". " + model.plane;
  const w = canvas.width - PAD.left - PAD.right, h = canvas.height - PAD.top - PAD.bottom;
  const [umin, umax, vmin, vmax] = model.extent;
  p.toPx = (u, v) => [PAD.left + (u - umin) / (umax - umin) * w, PAD.top + (vmax - v) / (vmax - vmin) * h];
  p.fromPx = (x, y) => [umin + (x - PAD.left) / w * (umax - umin), vmax - (y - PAD.top) / h * (vmax - vmin)];
  let dragging = false;
  const at = ev => {
    const r = canvas.getBoundingClientRect();
    const x = (ev.clientX - r.left) * canvas.width / r.width;
    const y = (ev.clientY - r.top) * canvas.height / r.height;
    return p.fromPx(Math.min(Math.max(x, PAD.left), PAD.left + w), Math.min(Math.max(y, PAD.top), PAD.top + h));
  };
  canvas.addEventListener("pointerdown", ev => {
    dragging = true;
    canvas.setPointerCapture(ev.pointerId);
    decodeAt(p, ...at(ev), true);
  });
  canvas.addEventListener("pointermove", ev => { if (dragging) decodeAt(p, ...at(ev), false); });
  const stop = () => { dragging = false; };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  return p;
}

function drawPlane(p) {
  const ctx = p.canvas.getContext("2d");
  const W = p.canvas.width, H = p.canvas.height;
  const [umin, umax, vmin, vmax] = p.model.extent;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  // Axes and ticks.
  ctx.strokeStyle = "#999"; ctx.fillStyle = "#444"; ctx.lineWidth = 1;
  ctx.font = "11px sans-serif";
  const [x0, y0] = p.toPx(umin, vmin), [x1, y1] = p.toPx(umax, vmax);
  ctx.strokeRect(x0, y1, x1 - x0, y0 - y1);
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (const t of niceTicks(umin, umax, 6)) {
    const [x] = p.toPx(t, vmin);
    ctx.beginPath(); ctx.moveTo(x, y0); ctx.lineTo(x, y0 + 4); ctx.stroke();
    ctx.fillText(fmtTick(t), x, y0 + 5);
  }
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (const t of niceTicks(vmin, vmax, 6)) {
    const [, y] = p.toPx(umin, t);
    ctx.beginPath(); ctx.moveTo(x0 - 4, y); ctx.lineTo(x0, y); ctx.stroke();
    ctx.fillText(fmtTick(t), x0 - 6, y);
  }
  ctx.textAlign = "center"; ctx.textBaseline = "bottom";
  const axis = p.model.latent > 2 ? ["u (first principal direction)", "v (second)"] : p.model.latent === 2 ? ["z₁", "z₂"] : ["z₁", ""];
  ctx.fillText(axis[0], (x0 + x1) / 2, H - 1);
  if (axis[1]) {
    ctx.save();
    ctx.translate(9, (y0 + y1) / 2); ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle"; ctx.fillText(axis[1], 0, 0);
    ctx.restore();
  }
  ctx.save();
  ctx.beginPath(); ctx.rect(x0, y1, x1 - x0, y0 - y1); ctx.clip();
  // Prior circles.
  if (p.model.origin) {
    const [ou, ov] = p.model.origin;
    const [cx, cy] = p.toPx(ou, ov);
    const scale = (x1 - x0) / (umax - umin);
    ctx.setLineDash([4, 4]); ctx.strokeStyle = "#777";
    for (const r of [1, 2]) { ctx.beginPath(); ctx.arc(cx, cy, r * scale, 0, 2 * Math.PI); ctx.stroke(); }
    ctx.setLineDash([]);
  }
  // Test points.
  for (let i = 0; i < p.u.length; i++) {
    if (p.u[i] === null || p.v[i] === null) continue;
    const [x, y] = p.toPx(p.u[i], p.v[i]);
    ctx.fillStyle = labelColor(p.labels ? p.labels[i] : -1);
    ctx.beginPath(); ctx.arc(x, y, 2.6, 0, 2 * Math.PI); ctx.fill();
  }
  // Samples.
  if (p.samples) {
    ctx.strokeStyle = "#000"; ctx.lineWidth = 1.5;
    for (const [u, v] of p.samples) {
      if (u === null || v === null) continue;
      const [x, y] = p.toPx(u, v);
      ctx.beginPath(); ctx.arc(x, y, 4, 0, 2 * Math.PI); ctx.stroke();
    }
  }
  // Interpolation path.
  if (p.path) {
    ctx.strokeStyle = "#000"; ctx.lineWidth = 2;
    ctx.beginPath();
    p.path.forEach(([u, v], k) => { const [x, y] = p.toPx(u, v); if (k) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
    ctx.stroke();
    ctx.fillStyle = "#000";
    for (const [u, v] of p.path) { const [x, y] = p.toPx(u, v); ctx.beginPath(); ctx.arc(x, y, 2.5, 0, 2 * Math.PI); ctx.fill(); }
  }
  // Digits chosen as A and B.
  if (p.ends) {
    ctx.font = "bold 13px sans-serif"; ctx.textAlign = "left"; ctx.textBaseline = "bottom";
    for (const [name, i] of p.ends) {
      const [x, y] = p.toPx(p.u[i], p.v[i]);
      ctx.strokeStyle = "#000"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(x, y, 6, 0, 2 * Math.PI); ctx.stroke();
      ctx.fillStyle = "#000"; ctx.fillText(name, x + 7, y - 3);
    }
  }
  // The decoded point.
  if (p.marker) {
    const [x, y] = p.toPx(p.marker[0], p.marker[1]);
    ctx.strokeStyle = "#000"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(x - 9, y); ctx.lineTo(x + 9, y); ctx.moveTo(x, y - 9); ctx.lineTo(x, y + 9); ctx.stroke();
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(x - 8, y); ctx.lineTo(x + 8, y); ctx.moveTo(x, y - 8); ctx.lineTo(x, y + 8); ctx.stroke();
  }
  ctx.restore();
}

// nearestPoint returns the index of the test point nearest to (u, v) on the
// canvas, if it lies within 8 pixels, or −1.
function nearestPoint(p, u, v) {
  const [x, y] = p.toPx(u, v);
  let best = -1, bd = 64;
  for (let i = 0; i < p.u.length; i++) {
    if (p.u[i] === null || p.v[i] === null) continue;
    const [xi, yi] = p.toPx(p.u[i], p.v[i]);
    const d = (xi - x) ** 2 + (yi - y) ** 2;
    if (d < bd) { bd = d; best = i; }
  }
  return best;
}

function fmtVec(z) {
  const s = z.slice(0, 4).map(x => (x === null ? "?" : x.toFixed(2))).join(", ");
  return "(" + s + (z.length > 4 ? ", …" : "") + ")";
}

// decodeAt decodes the plane point (u, v), one request at a time: a point
// asked for while one is in flight replaces any earlier waiting one.
function decodeAt(p, u, v, click) {
  p.marker = [u, v];
  drawPlane(p);
  if (click) showNearest(p, nearestPoint(p, u, v));
  if (p.inflight) { p.queued = [u, v]; return; }
  p.inflight = true;
  state.pending++;
  api(`/api/decode?model=${p.model.name}&z=${u},${v}`).then(r => {
    drawImage(p.decoded, r.image);
    p.decodes++;
    p.decoded.dataset.decodes = String(p.decodes);
    p.decoded.dataset.z = r.z.join(",");
    const zr = $(".zread", p.panel);
    zr.textContent = (p.model.latent > 2 ? `(u, v) = (${u.toFixed(2)}, ${v.toFixed(2)}); z = ` : "z = ") + fmtVec(r.latent);
  }).catch(e => showError("decode: " + e.message)).finally(() => {
    p.inflight = false;
    state.pending--;
    if (p.queued) { const q = p.queued; p.queued = null; decodeAt(p, q[0], q[1], false); }
  });
}

function showNearest(p, i) {
  const el = $(".near", p.panel);
  el.textContent = "";
  if (i < 0) return;
  const l = p.labels ? p.labels[i] : -1;
  const t = document.createElement("div");
  t.textContent = `nearest test digit #${i}` + (l >= 0 ? ` (a ${l})` : "");
  el.appendChild(t);
  for (const [text, fn] of [["as A", () => setInterp("a", i)], ["as B", () => setInterp("b", i)], ["estimate log p(x)", () => { $("#est-i").value = i; runEstimate(); }]]) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = text; b.addEventListener("click", fn);
    el.appendChild(b);
  }
}

// ---- interpolation -------------------------------------------------------

function setInterp(which, i) {
  $("#interp-" + which).value = i;
  runInterp();
}

async function runInterp() {
  const a = +$("#interp-a").value, b = +$("#interp-b").value, steps = +$("#interp-steps").value;
  for (const p of Object.values(state.planes)) {
    const strip = $("#strip-" + p.model.name);
    try {
      const r = await api(`/api/interpolate?model=${p.model.name}&a=${a}&b=${b}&steps=${steps}`);
      strip.textContent = "";
      for (const img of r.images) strip.appendChild(imageCanvas(img, 2));
      p.path = r.points; p.ends = [["A", a], ["B", b]];
      drawPlane(p);
    } catch (e) { showError("interpolate: " + e.message); return; }
  }
}

// ---- samples -------------------------------------------------------------

let sampleSeed = 1;

async function runSamples() {
  const n = +$("#samples-n").value;
  for (const p of Object.values(state.planes)) {
    try {
      const r = await api(`/api/samples?model=${p.model.name}&n=${n}&seed=${sampleSeed}`);
      const grid = $("#samples-" + p.model.name);
      grid.textContent = "";
      for (const img of r.images) grid.appendChild(imageCanvas(img, 2));
      p.samples = r.points;
      drawPlane(p);
    } catch (e) { showError("samples: " + e.message); return; }
  }
  sampleSeed++;
}

// ---- log p(x) against K --------------------------------------------------

async function runEstimate() {
  const i = +$("#est-i").value, k = +$("#est-k").value;
  const btn = $("#est-go");
  btn.disabled = true;
  $("#est-summary").textContent = `estimating with up to K = ${k} draws…`;
  try {
    const r = await api(`/api/estimate?i=${i}&k=${k}`);
    drawImage($("#est-digit"), state.info.eval_differs ? r.digit.eval_image : r.digit.image);
    $("#est-digit-text").textContent = `test digit #${i}` + (r.digit.label >= 0 ? `, a ${r.digit.label}` : "") +
      (state.info.eval_differs ? " (binarised as the Bernoulli likelihood sees it)" : "");
    drawEstimates(r);
    const last = a => a[a.length - 1];
    const fmt = e => (e.logpx === null ? "—" : e.logpx.toFixed(2)) + (e.stderr !== null ? ` ± ${e.stderr.toFixed(2)}` : "");
    const p = last(r.prior), q = last(r.is);
    let s = `At K = ${q.k}: naive ${fmt(p)}, importance sampling ${fmt(q)}`;
    if (p.logpx !== null && q.logpx !== null) s += `: ${(q.logpx - p.logpx).toFixed(1)} nats apart`;
    s += `. ELBO ${fmt(r.elbo)}. Took ${r.seconds.toFixed(2)} s. Standard errors are the estimators' own (delta method).`;
    $("#est-summary").textContent = s;
    $("#est-plot").dataset.done = String(i);
  } catch (e) {
    showError("estimate: " + e.message);
    $("#est-summary").textContent = "";
  } finally { btn.disabled = false; }
}

function drawEstimates(r) {
  const canvas = $("#est-plot");
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height;
  const pad = { left: 64, right: 14, top: 12, bottom: 42 };
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
  const pal = state.info.palette;
  const series = [
    { name: "importance sampling, z ~ q(z|x)", color: pal[0], pts: r.is },
    { name: "naive Monte Carlo, z ~ p(z)", color: pal[1], pts: r.prior },
  ];
  let lo = Infinity, hi = -Infinity;
  for (const s of series) for (const e of s.pts) if (e.logpx !== null) { lo = Math.min(lo, e.logpx); hi = Math.max(hi, e.logpx); }
  if (r.elbo.logpx !== null) { lo = Math.min(lo, r.elbo.logpx); hi = Math.max(hi, r.elbo.logpx); }
  if (!isFinite(lo)) return;
  const span = Math.max(hi - lo, 1);
  lo -= 0.06 * span; hi += 0.45 * span; // room for the legend at the top
  const kmax = r.ks[r.ks.length - 1];
  const lx = Math.log10(Math.max(kmax, 10));
  const X = k => pad.left + Math.log10(k) / lx * (W - pad.left - pad.right);
  const Y = v => pad.top + (hi - v) / (hi - lo) * (H - pad.top - pad.bottom);
  ctx.strokeStyle = "#999"; ctx.lineWidth = 1;
  ctx.strokeRect(pad.left, pad.top, W - pad.left - pad.right, H - pad.top - pad.bottom);
  ctx.font = "12px sans-serif"; ctx.fillStyle = "#444";
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (let d = 0; d <= lx + 1e-9; d++) {
    const x = X(10 ** d);
    ctx.beginPath(); ctx.moveTo(x, H - pad.bottom); ctx.lineTo(x, H - pad.bottom + 4); ctx.stroke();
    ctx.fillText(d === 0 ? "1" : "10" + "⁰¹²³⁴⁵⁶⁷⁸⁹"[d], x, H - pad.bottom + 6);
  }
  ctx.fillText("K, the number of samples (log scale)", (pad.left + W - pad.right) / 2, H - 16);
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (const t of niceTicks(lo, hi, 6)) {
    const y = Y(t);
    ctx.beginPath(); ctx.moveTo(pad.left - 4, y); ctx.lineTo(pad.left, y); ctx.stroke();
    ctx.fillText(fmtTick(t), pad.left - 6, y);
  }
  ctx.save();
  ctx.translate(14, (pad.top + H - pad.bottom) / 2); ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center"; ctx.fillText("estimate of log p(x) (nats)", 0, 0);
  ctx.restore();
  ctx.save();
  ctx.beginPath(); ctx.rect(pad.left, pad.top, W - pad.left - pad.right, H - pad.top - pad.bottom); ctx.clip();
  if (r.elbo.logpx !== null) {
    ctx.setLineDash([6, 4]); ctx.strokeStyle = "#555"; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(pad.left, Y(r.elbo.logpx)); ctx.lineTo(W - pad.right, Y(r.elbo.logpx)); ctx.stroke();
    ctx.setLineDash([]);
  }
  for (const s of series) {
    ctx.strokeStyle = s.color; ctx.fillStyle = s.color; ctx.lineWidth = 2;
    ctx.beginPath();
    let started = false;
    for (const e of s.pts) {
      if (e.logpx === null) { started = false; continue; }
      if (started) ctx.lineTo(X(e.k), Y(e.logpx)); else ctx.moveTo(X(e.k), Y(e.logpx));
      started = true;
    }
    ctx.stroke();
    for (const e of s.pts) {
      if (e.logpx === null) continue;
      const x = X(e.k), y = Y(e.logpx);
      if (e.stderr !== null) {
        ctx.lineWidth = 1;
        ctx.beginPath(); ctx.moveTo(x, Y(e.logpx - 2 * e.stderr)); ctx.lineTo(x, Y(e.logpx + 2 * e.stderr)); ctx.stroke();
      }
      ctx.beginPath(); ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
      if (e.khat !== null && e.khat > 0.7) { ctx.fillStyle = "#fff"; ctx.fill(); ctx.lineWidth = 1.5; ctx.stroke(); ctx.fillStyle = s.color; }
      else ctx.fill();
    }
  }
  ctx.restore();
  // Legend, inside the plot at the top left.
  const items = [...series.map(s => ({ name: s.name, color: s.color, dash: false })),
    { name: "ELBO (a lower bound)", color: "#555", dash: true },
    { name: "hollow: Pareto k̂ > 0.7 (unreliable); bars: ± 2 standard errors", color: "#555", hollow: true }];
  ctx.font = "12px sans-serif"; ctx.textAlign = "left"; ctx.textBaseline = "middle";
  items.forEach((it, n) => {
    const y = pad.top + 12 + 16 * n, x = pad.left + 10;
    ctx.strokeStyle = it.color; ctx.fillStyle = it.color; ctx.lineWidth = 2;
    if (it.hollow) {
      ctx.beginPath(); ctx.arc(x + 11, y, 3.5, 0, 2 * Math.PI); ctx.fillStyle = "#fff"; ctx.fill(); ctx.lineWidth = 1.5; ctx.stroke();
    } else {
      ctx.setLineDash(it.dash ? [6, 4] : []);
      ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + 22, y); ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.fillStyle = "#222"; ctx.fillText(it.name, x + 30, y);
  });
}

// ---- start ---------------------------------------------------------------

async function start() {
  let info;
  try { info = await api("/api/info"); } catch (e) { showError("cannot reach the server: " + e.message); return; }
  state.info = info;
  $("#source").textContent = `Data: ${info.data} (${info.n} test points${info.labels ? "" : ", no labels: grey"}). ` +
    info.models.map(m => `${m.title}: ${m.desc}`).join(". ") + ".";
  const legend = $("#legend");
  if (info.labels) {
    for (let l = 0; l < 10; l++) {
      const s = document.createElement("span");
      const sw = document.createElement("span");
      sw.className = "sw"; sw.style.background = labelColor(l);
      s.appendChild(sw); s.appendChild(document.createTextNode(String(l)));
      legend.appendChild(s);
    }
  }
  for (const m of info.models) {
    const p = makePlane(m, $("#panel-" + m.name));
    state.planes[m.name] = p;
  }
  if (!state.planes.ae) {
    const panel = $("#panel-ae");
    const row = $(".panel-row", panel);
    row.textContent = "";
    const n = document.createElement("div");
    n.className = "notice";
    n.textContent = info.no_ae || "No autoencoder loaded.";
    row.appendChild(n);
    $(".title", panel).textContent = "Autoencoder";
    for (const id of ["#strip-ae", "#samples-ae"]) $(id).textContent = "no autoencoder loaded";
  }
  for (const id of ["#interp-a", "#interp-b", "#est-i"]) $(id).max = info.n - 1;
  $("#interp-steps").max = info.limits.max_steps;
  $("#samples-n").max = info.limits.max_samples;
  const ksel = $("#est-k");
  for (const k of [100, 1000, 5000, 20000, 100000].filter(k => k <= info.limits.max_k)) {
    const o = document.createElement("option");
    o.value = k; o.textContent = String(k);
    if (k === Math.min(5000, info.limits.max_k)) o.selected = true;
    ksel.appendChild(o);
  }
  if (!ksel.options.length) {
    const o = document.createElement("option"); o.value = info.limits.max_k; o.textContent = String(info.limits.max_k); ksel.appendChild(o);
  }
  await Promise.all(Object.values(state.planes).map(async p => {
    const r = await api(`/api/latents?model=${p.model.name}`);
    p.u = r.u; p.v = r.v; p.labels = r.labels;
    drawPlane(p);
  }));
  $("#interp-go").addEventListener("click", runInterp);
  $("#interp-random").addEventListener("click", () => {
    $("#interp-a").value = Math.floor(Math.random() * info.n);
    $("#interp-b").value = Math.floor(Math.random() * info.n);
    runInterp();
  });
  $("#samples-go").addEventListener("click", runSamples);
  $("#est-go").addEventListener("click", runEstimate);
  $("#est-random").addEventListener("click", () => { $("#est-i").value = Math.floor(Math.random() * info.n); runEstimate(); });
  // A first view: the centre of each plane decoded, an interpolation and samples.
  for (const p of Object.values(state.planes)) {
    const [umin, umax, vmin, vmax] = p.model.extent;
    decodeAt(p, (umin + umax) / 2, (vmin + vmax) / 2, false);
  }
  // The first pair: the first 0 and the first 1 when there are labels.
  const lab = state.planes.vae.labels;
  const first = l => (lab ? lab.indexOf(l) : -1);
  $("#interp-a").value = first(0) >= 0 ? first(0) : 0;
  $("#interp-b").value = first(1) >= 0 ? first(1) : Math.min(1, info.n - 1);
  await runInterp();
  await runSamples();
  await runEstimate();
  document.body.dataset.ready = "1";
}

document.addEventListener("DOMContentLoaded", () => { start().catch(e => showError(e.message)); });
