// PHR Share: the little the pages need from a script. No inline scripts anywhere (CSP).
"use strict";

const PALETTE = ["#1f6feb", "#d1495b", "#2a9d8f", "#e9a23b"];

const DAY_MS = 24 * 60 * 60 * 1000;
// Dates as the pages write them ("3 Dec 2026"), in the account's time zone.
function knownZone(name) {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: name });
    return name;
  } catch {
    return "UTC"; // a zone name the browser does not know: UTC rather than no charts
  }
}
const ZONE = knownZone(document.body?.dataset.timeZone || "UTC");
const DAY = new Intl.DateTimeFormat("en-GB", { year: "numeric", month: "short", day: "numeric", timeZone: ZONE });
const MONTH = new Intl.DateTimeFormat("en-GB", { year: "numeric", month: "short", timeZone: ZONE });

function day(millis) {
  return DAY.format(new Date(millis));
}

// Over half a year, an axis label names the month: shorter, so labels do not collide.
function axisTick(long) {
  return function (value, index, ticks) {
    const label = dayTick.call(this, value, index, ticks);
    return label && long ? MONTH.format(new Date(value)) : label;
  };
}

// The axis always labels its first and last day; a label in between that would crowd
// one of them (closer than a label's width) is left out rather than drawn over it.
const LABEL_PX = 90;

function dayTick(value, index, ticks) {
  const last = ticks.length - 1;
  if (index > 0 && index < last) {
    // Called by Chart.js with the scale as `this`: its width turns pixels into time.
    const gap = ((ticks[last].value - ticks[0].value) * LABEL_PX) / Math.max(this.width, 1);
    if (value - ticks[0].value < gap || ticks[last].value - value < gap) return "";
  }
  return day(value);
}

// A measure with a scale of its own (pain 0-10, mood 1-5) keeps it, whatever was entered;
// a scale with words (mood) shows the words on the axis and in the tooltip.
function yAxis(chart) {
  const axis = { title: { display: true, text: chart.unit } };
  // The axis always shows the targets, even when every reading is above them.
  const marks = chart.band ? [chart.band.low, chart.band.high] : (chart.targets || []).map((t) => t.at);
  if (marks.length) {
    axis.suggestedMin = Math.min(...marks) - 10;
    axis.suggestedMax = Math.max(...marks) + 10;
  }
  if (chart.min !== undefined) axis.min = chart.min;
  if (chart.max !== undefined) axis.max = chart.max;
  if (chart.labels) {
    axis.ticks = { stepSize: 1, callback: (value) => chart.labels[String(value)] ?? "" };
  }
  return axis;
}

function pointLabel(chart) {
  return (item) => {
    const value = item.parsed.y;
    const shown = chart.labels ? chart.labels[String(value)] ?? value : value;
    return item.dataset.label + ": " + shown;
  };
}

// A line is not drawn across a month without readings: nothing was measured there.
const GAP_MS = 30 * DAY_MS;

function withGaps(points) {
  const out = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last && p.x - last.x > GAP_MS) out.push({ x: (p.x + last.x) / 2, y: null });
    out.push(p);
  }
  return out;
}

// The patient's targets on the chart: a shaded range to stay in (glucose) or lines to
// stay under (blood pressure), drawn under the readings.
const targetMarks = {
  id: "targetMarks",
  beforeDatasetsDraw(chart, _args, options) {
    const { ctx, chartArea: area, scales } = chart;
    const y = scales.y;
    ctx.save();
    if (options.band) {
      const top = y.getPixelForValue(options.band.high);
      const bottom = y.getPixelForValue(options.band.low);
      ctx.fillStyle = "rgba(26, 127, 55, 0.12)";
      ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
    }
    for (const mark of options.targets || []) {
      const at = y.getPixelForValue(mark.at);
      ctx.strokeStyle = "#1a7f37";
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(area.left, at);
      ctx.lineTo(area.right, at);
      ctx.stroke();
    }
    ctx.restore();
  },
};

// The newest reading of each line, as the words above a chart say it: "128/82 on 3 Dec 2026".
function latestWords(chart) {
  const last = chart.lines.map((line) => line.points[line.points.length - 1]).filter(Boolean);
  if (!last.length) return "";
  const newest = Math.max(...last.map((p) => Date.parse(p.t)));
  const values = last.filter((p) => Date.parse(p.t) === newest).map((p) => {
    const v = Math.round(p.v * 10) / 10;
    return chart.labels ? chart.labels[String(v)] ?? v : v;
  });
  const unit = chart.labels ? "" : chart.max !== undefined ? "of " + chart.max : chart.unit;
  return values.join("/") + " " + unit + " on " + day(newest);
}

function drawCharts(host, data) {
  if (!data.charts.length) {
    const empty = host.querySelector(".charts-empty");
    if (empty) empty.hidden = false;
    return;
  }
  for (const chart of data.charts) {
    const figure = document.createElement("figure");
    figure.className = "chart";
    const caption = document.createElement("figcaption");
    caption.textContent = chart.title + " (" + chart.unit + ")";
    const latest = latestWords(chart);
    const about = document.createElement("p");
    about.className = "chart-latest";
    const target = chart.band ? chart.band.label : (chart.targets || []).map((t) => t.label).join(", ");
    about.textContent = (latest ? "Latest: " + latest : "") + (target ? (latest ? " · " : "") + target : "");
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", chart.title + " over time. " + about.textContent);
    figure.append(caption, about, canvas);
    host.append(figure);
    // Points sit at their real time: a month without readings shows as a gap in time.
    const datasets = chart.lines.map((line, i) => ({
      label: line.label,
      data: withGaps(line.points.map((p) => ({ x: Date.parse(p.t), y: p.v }))),
      spanGaps: false,
      borderColor: PALETTE[i % PALETTE.length],
      backgroundColor: PALETTE[i % PALETTE.length],
      pointRadius: line.points.length > 60 ? 1.5 : 3,
      tension: 0, // straight lines between readings: nothing drawn that was not measured
      clip: false, // the first and last readings sit on the axis ends: draw them whole
    }));
    // The axis runs from the first reading to the last (one day's readings alone: a month).
    const times = datasets.flatMap((d) => d.data.filter((p) => p.y !== null).map((p) => p.x));
    const first = Math.min(...times);
    const last = Math.max(...times);
    const pad = last - first < DAY_MS ? 15 * DAY_MS : 0;
    const span = { min: first - pad, max: last + pad };
    // eslint-disable-next-line no-undef
    new Chart(canvas, {
      type: "line",
      data: { datasets },
      plugins: [targetMarks],
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          targetMarks: { band: chart.band, targets: chart.targets },
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              title: (items) => items.length ? day(items[0].parsed.x) : "",
              label: pointLabel(chart),
            },
          },
        },
        scales: {
          x: {
            type: "linear",
            ...span,
            ticks: { callback: axisTick(span.max - span.min > 183 * DAY_MS), maxTicksLimit: 5, maxRotation: 0 },
          },
          y: yAxis(chart),
        },
      },
    });
  }
  host.dataset.ready = "true";
}

// The ambulatory glucose profile: the day from 00:00 to 24:00 in the patient's clock
// time, the 5-95% band lighter, the 25-75% band darker, the median as a line, the target
// range 70-180 shaded green. The table beside it on the page says the same in numbers.
function clock(minutes) {
  const pad = (n) => String(n).padStart(2, "0");
  return pad(Math.floor(minutes / 60)) + ":" + pad(Math.round(minutes % 60));
}

function drawProfile(figure, agp) {
  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute(
    "aria-label",
    "Blood sugar by time of day over " + agp.days + " days, as percentile bands; the table below gives the numbers.",
  );
  // Chart.js sizes a chart to its box: a box of a fixed height, whatever the words above.
  const plot = document.createElement("div");
  plot.className = "agp-plot";
  plot.append(canvas);
  figure.append(plot);
  // Each slot drawn at its middle: a quarter hour starting at 08:00 is the point at 08:07.
  const half = agp.slot_minutes / 2;
  const narrow = figure.clientWidth < 520; // a phone: a label every 6 hours, not every 3
  const line = (key) => agp.profile.map((p) => ({ x: p.minute + half, y: p[key] }));
  const edge = { borderColor: "#1f6feb", borderWidth: 1, borderDash: [4, 3], pointRadius: 0 };
  const datasets = [
    { label: "5%", percentile: "5%", data: line("p5"), ...edge, fill: false },
    { label: "5 to 95% of readings", percentile: "95%", data: line("p95"), ...edge, fill: "-1", backgroundColor: "rgba(31, 111, 235, 0.16)" },
    { label: "25%", percentile: "25%", data: line("p25"), borderColor: "#1f6feb", borderWidth: 1, pointRadius: 0, fill: false },
    { label: "25 to 75% of readings", percentile: "75%", data: line("p75"), borderColor: "#1f6feb", borderWidth: 1, pointRadius: 0, fill: "-1", backgroundColor: "rgba(31, 111, 235, 0.42)" },
    { label: "Median", percentile: "Median", data: line("p50"), borderColor: "#0b2f6b", borderWidth: 2.5, pointRadius: 0, fill: false },
  ];
  // eslint-disable-next-line no-undef
  new Chart(canvas, {
    type: "line",
    data: { datasets },
    plugins: [targetMarks],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: {
        targetMarks: { band: { low: 70, high: 180 }, targets: [{ at: 70 }, { at: 180 }] },
        legend: { position: "bottom", labels: { filter: (item) => item.text.includes("readings") || item.text === "Median" } },
        tooltip: {
          itemSort: (a, b) => b.parsed.y - a.parsed.y, // 95% on top, as drawn
          callbacks: {
            title: (items) => (items.length ? "From " + clock(items[0].parsed.x - half) : ""),
            label: (item) => item.dataset.percentile + ": " + Math.round(item.parsed.y) + " mg/dL",
          },
        },
      },
      scales: {
        x: { type: "linear", min: 0, max: 1440, ticks: { stepSize: narrow ? 360 : 180, callback: clock, maxRotation: 0 } },
        y: { title: { display: true, text: "mg/dL" }, suggestedMin: 40, suggestedMax: 300 },
      },
    },
  });
  figure.dataset.ready = "true";
}

function loadCharts() {
  if (typeof Chart === "undefined") return;
  for (const host of document.querySelectorAll("[data-series]")) {
    drawCharts(host, JSON.parse(host.dataset.series));
  }
  for (const figure of document.querySelectorAll("[data-agp]")) {
    drawProfile(figure, JSON.parse(figure.dataset.agp));
  }
}

function fillLinkToken() {
  // A one-visit link carries its token after '#', which browsers never send to servers.
  const field = document.getElementById("link-token");
  if (field && location.hash.length > 1) {
    field.value = decodeURIComponent(location.hash.slice(1));
    history.replaceState(null, "", location.pathname);
  }
}

// An upload shows how much has been sent, then that the server is checking, splitting
// and encrypting it; the answer (the segments stored, or why nothing was) replaces the
// page as a normal submit would. Without script the form posts as usual.
function sendWithProgress(form) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const file = form.querySelector("input[type=file]").files[0];
    const limit = Number(form.dataset.maxBytes);
    if (file && limit && file.size > limit) {
      // Refused here rather than after sending it all: the server would refuse it too.
      const input = form.querySelector("input[type=file]");
      input.setCustomValidity("This file is larger than the limit; nothing was sent.");
      input.reportValidity();
      input.addEventListener("change", () => input.setCustomValidity(""), { once: true });
      return;
    }
    const panel = form.querySelector(".upload-progress");
    const bar = panel.querySelector("progress");
    const status = panel.querySelector("[data-status]");
    const button = form.querySelector("button[type=submit]");
    panel.hidden = false;
    button.disabled = true;
    bar.value = 0;
    status.textContent = "Sending…";
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", (sent) => {
      if (!sent.lengthComputable) return;
      bar.value = sent.loaded / sent.total;
      status.textContent = "Sending… " + Math.round((100 * sent.loaded) / sent.total) + "%";
    });
    request.upload.addEventListener("load", () => {
      bar.removeAttribute("value"); // indeterminate: the server is at work now
      status.textContent = "Checking, splitting and encrypting…";
    });
    request.addEventListener("load", () => {
      const page = new DOMParser().parseFromString(request.responseText, "text/html");
      document.title = page.title;
      document.body.replaceWith(document.adoptNode(page.body));
      history.replaceState(null, "", request.responseURL || form.action);
      start();
    });
    request.addEventListener("error", () => {
      panel.hidden = true;
      button.disabled = false;
      status.textContent = "";
      window.alert("The file did not reach the server; nothing was stored. Try again.");
    });
    request.send(new FormData(form));
  });
}

// A number's plausible range follows its unit (1-1100 lb, 0.5-500 kg): the same table
// the server checks with, carried on the unit's select.
function followUnits() {
  for (const select of document.querySelectorAll("select[data-ranges]")) {
    const input = select.form.querySelector(`input[name="${select.name.replace(/_unit$/, "")}"]`);
    const ranges = Object.fromEntries(
      select.dataset.ranges.split(";").map((row) => {
        const [code, range] = row.split("=");
        return [code, range.split(":")];
      }),
    );
    const apply = () => {
      const [low, high] = ranges[select.value];
      input.min = low;
      input.max = high;
    };
    select.addEventListener("change", apply);
    apply();
  }
}

// Sign-in and sign-up tell the server the browser's time zone: an account that has none
// yet shows its times in it from then on (changeable on the Account page).
function tellTimeZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  for (const field of document.querySelectorAll("input[data-time-zone]")) field.value = zone;
}

// A form refused by the server comes back as it was typed, the error beside it.
function refillForm() {
  const main = document.querySelector("main[data-refill]");
  if (!main) return;
  const { action, fields } = JSON.parse(main.dataset.refill);
  const form = [...document.forms].find((f) => new URL(f.action).pathname === action);
  if (!form) return;
  for (const [name, value] of Object.entries(fields)) {
    const inputs = [...form.elements].filter((e) => e.name === name);
    for (const input of inputs) {
      if (input.type === "checkbox" || input.type === "radio") input.checked = input.value === value;
      else if (input.type !== "hidden") input.value = value;
    }
  }
  const error = main.querySelector(".flash.error");
  if (error) {
    form.prepend(error);
    error.setAttribute("role", "alert");
  }
  form.scrollIntoView({ block: "center" });
  const first = [...form.elements].find((e) => e.name && e.type !== "hidden");
  if (first) first.focus();
}

function start() {
  fillLinkToken();
  refillForm();
  tellTimeZone();
  followUnits();
  loadCharts();
  for (const form of document.querySelectorAll("form[data-progress]")) sendWithProgress(form);
}

document.addEventListener("DOMContentLoaded", start);
